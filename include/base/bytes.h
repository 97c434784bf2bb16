/*
 * bytes.h - fixed-width loads from byte images: the profile and ELF formats
 * we read are little-endian.
 */
#ifndef PGOW_BYTES_H
#define PGOW_BYTES_H

#include <stdint.h>

/* The little-endian 16-bit word at p. */
static inline uint16_t load_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The little-endian 64-bit word at p. */
static inline uint64_t load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#endif
