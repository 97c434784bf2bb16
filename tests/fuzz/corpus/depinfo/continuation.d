a: b\ c d \
 e

b c:
