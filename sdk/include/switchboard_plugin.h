/* Switchboard native plugin ABI, version 1. Mirrors sdk/src/abi.rs exactly.
 *
 * A plugin is a shared library exporting `switchboard_plugin_entry_v1`, which returns a pointer
 * to a static SbPluginDescriptor. Requests and replies are UTF-8 JSON (see docs/local-plugins.md).
 * Whoever allocates a buffer frees it: the host calls the plugin's free_buffer for buffers the
 * plugin filled, and the plugin calls host->free_buffer for buffers the host filled.
 */
#ifndef SWITCHBOARD_PLUGIN_H
#define SWITCHBOARD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SB_ABI_VERSION 1
#define SB_SDK_VERSION "0.1.0"

/* The target triple as Rust names it; the host refuses a plugin built for another. Define
 * SB_TARGET_TRIPLE yourself on a platform not listed here. */
#ifndef SB_TARGET_TRIPLE
#if defined(__linux__) && defined(__x86_64__) && defined(__GLIBC__)
#define SB_TARGET_TRIPLE "x86_64-unknown-linux-gnu"
#elif defined(__linux__) && defined(__aarch64__) && defined(__GLIBC__)
#define SB_TARGET_TRIPLE "aarch64-unknown-linux-gnu"
#elif defined(__linux__) && defined(__x86_64__)
#define SB_TARGET_TRIPLE "x86_64-unknown-linux-musl"
#elif defined(__linux__) && defined(__aarch64__)
#define SB_TARGET_TRIPLE "aarch64-unknown-linux-musl"
#elif defined(__APPLE__) && defined(__aarch64__)
#define SB_TARGET_TRIPLE "aarch64-apple-darwin"
#elif defined(__APPLE__) && defined(__x86_64__)
#define SB_TARGET_TRIPLE "x86_64-apple-darwin"
#elif defined(_WIN64) && defined(_MSC_VER)
#define SB_TARGET_TRIPLE "x86_64-pc-windows-msvc"
#else
#error "unknown platform: define SB_TARGET_TRIPLE as the host's Rust target triple"
#endif
#endif

#define SB_STATUS_OK 0
#define SB_STATUS_ERROR 1
#define SB_STATUS_PANIC 2
#define SB_STATUS_ABSENT 3

/* Bytes lent for one call. */
typedef struct SbBytes {
    const uint8_t *ptr;
    size_t len;
} SbBytes;

/* Bytes handed over; give them back to the side that made them. `cap` is that side's business. */
typedef struct SbBuffer {
    uint8_t *ptr;
    size_t len;
    size_t cap;
} SbBuffer;

typedef struct SbHostApi {
    uint32_t struct_size;
    const void *ctx;
    void (*log)(const void *ctx, uint32_t level, SbBytes message); /* 1 error .. 5 trace */
    int32_t (*publish)(const void *ctx, SbBytes topic, SbBytes payload_json);
    int32_t (*send)(const void *ctx, SbBytes message_json); /* {"connector","channel"|"user","text"} */
    int32_t (*kv_get)(const void *ctx, SbBytes key, SbBuffer *out); /* OK or ABSENT */
    int32_t (*kv_put)(const void *ctx, SbBytes key, SbBytes value);
    int32_t (*config)(const void *ctx, SbBuffer *out); /* JSON object of strings */
    void (*free_buffer)(SbBuffer buffer);
} SbHostApi;

typedef struct SbPluginDescriptor {
    uint32_t abi_version;   /* SB_ABI_VERSION */
    uint32_t struct_size;   /* sizeof(SbPluginDescriptor) */
    char sdk_version[32];   /* NUL-terminated */
    char target_triple[64]; /* e.g. "x86_64-unknown-linux-gnu"; must equal the host's */
    char name[64];
    /* Called once; fill *out with the declarations JSON. */
    int32_t (*init)(const SbHostApi *host, SbBuffer *out);
    /* One JSON request in; JSON reply (or a message for a non-OK status) out. */
    int32_t (*call)(SbBytes request, SbBuffer *out);
    void (*free_buffer)(SbBuffer buffer);
} SbPluginDescriptor;

const SbPluginDescriptor *switchboard_plugin_entry_v1(void);

#ifdef __cplusplus
}
#endif

#endif
