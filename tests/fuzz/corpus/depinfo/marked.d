/tmp/ws/target/release/deps/fixbin-b5905484b2e89af7.d: fixbin/src/main.rs /tmp/ws/target/release/build/fixbin-e03cf918378c9bde/out/gen.rs /tmp/pgo-cache/slots/6c863ee56798c7ff31ad13b8658c14ac/profiles/d29f50a2daa2a8ff81365be41267a29b.profdata /tmp/pgo-cache/slots/6c863ee56798c7ff31ad13b8658c14ac/stamps/138ada5fe844ce1f1fc38f40d503611d

/tmp/ws/target/release/deps/fixbin-b5905484b2e89af7: fixbin/src/main.rs /tmp/ws/target/release/build/fixbin-e03cf918378c9bde/out/gen.rs /tmp/pgo-cache/slots/6c863ee56798c7ff31ad13b8658c14ac/profiles/d29f50a2daa2a8ff81365be41267a29b.profdata /tmp/pgo-cache/slots/6c863ee56798c7ff31ad13b8658c14ac/stamps/138ada5fe844ce1f1fc38f40d503611d

fixbin/src/main.rs:
/tmp/ws/target/release/build/fixbin-e03cf918378c9bde/out/gen.rs:
/tmp/pgo-cache/slots/6c863ee56798c7ff31ad13b8658c14ac/profiles/d29f50a2daa2a8ff81365be41267a29b.profdata:

# env-dep:OUT_DIR=/tmp/ws/target/release/build/fixbin-e03cf918378c9bde/out
/tmp/pgo-cache/slots/6c863ee56798c7ff31ad13b8658c14ac/stamps/138ada5fe844ce1f1fc38f40d503611d:
# env-dep:CARGO_PGO_WRAP_MODE
# env-dep:CARGO_PGO_WRAP_PROFILE
# env-dep:CARGO_PGO_WRAP_EXCLUDE
# env-dep:CARGO_PGO_WRAP_WHEN_NO_PROFILE
# pgo-wrap:unit	6c863ee56798c7ff31ad13b8658c14ac	fixbin	07db339c3741e693	use	ea36d20a7169829d3aa7926ff56ecffd	/tmp/pgo-cache/slots/6c863ee56798c7ff31ad13b8658c14ac/profiles/d29f50a2daa2a8ff81365be41267a29b.profdata	0
# pgo-wrap:dep	/tmp/ws/target/release/deps/fixlib-6f15756b8c9171dc.d
# pgo-wrap:dep	/tmp/ws/target/release/deps/fixmacro-b577621f320fc161.d
