/* `!hello-c [name]` greets the sender, and `POST /hello-c` answers a greeting, in plain C.
 *
 * Build:  cc -shared -fPIC -I ../../../sdk/include -o libhello_c.so hello.c
 * Build more copies under other names with -DHELLO_NAME='"name"' (the command takes the name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switchboard_plugin.h"

#ifndef HELLO_NAME
#define HELLO_NAME "hello-c"
#endif

static const SbHostApi *host;

static int32_t answer(SbBuffer *out, int32_t status, const char *text, size_t len) {
    out->ptr = malloc(len ? len : 1);
    if (!out->ptr) {
        out->len = 0;
        return SB_STATUS_ERROR;
    }
    memcpy(out->ptr, text, len);
    out->len = len;
    out->cap = len;
    return status;
}

static int32_t init(const SbHostApi *api, SbBuffer *out) {
    host = api;
    const char *declarations =
        "{\"description\": \"Greets people (a C example)\","
        " \"commands\": [{\"name\": \"" HELLO_NAME "\", \"help\": \"Greets you, in C.\", \"usage\": \"[name]\"}],"
        " \"routes\": [{\"method\": \"POST\", \"path\": \"/" HELLO_NAME "\"}]}";
    return answer(out, SB_STATUS_OK, declarations, strlen(declarations));
}

/* Finds "key":"value" in a flat JSON object and copies the value (no escapes) into dst. */
static int find_string(const uint8_t *json, size_t len, const char *key, char *dst, size_t cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    size_t plen = strlen(pattern);
    for (size_t i = 0; i + plen <= len; i++) {
        if (memcmp(json + i, pattern, plen) == 0) {
            size_t j = 0;
            for (i += plen; i < len && json[i] != '"' && json[i] != '\\' && j + 1 < cap; i++) {
                dst[j++] = (char)json[i];
            }
            dst[j] = 0;
            return 1;
        }
    }
    return 0;
}

static int32_t call(SbBytes request, SbBuffer *out) {
    char type[16] = "", args[128] = "", sender[128] = "someone", reply[512];
    find_string(request.ptr, request.len, "type", type, sizeof type);
    if (strcmp(type, "command") == 0) {
        find_string(request.ptr, request.len, "args", args, sizeof args);
        find_string(request.ptr, request.len, "sender", sender, sizeof sender);
        const char *who = args[0] ? args : sender;
        const char *hi = "log from C: greeting someone";
        SbBytes message = {(const uint8_t *)hi, strlen(hi)};
        host->log(host->ctx, 3, message);
        int n = snprintf(reply, sizeof reply, "{\"reply\": \"Hello from C, %s!\"}", who);
        return answer(out, SB_STATUS_OK, reply, (size_t)n);
    }
    if (strcmp(type, "http") == 0) {
        const char *ok = "{\"status\": 200, \"body\": {\"greeting\": \"Hello from C!\"}}";
        return answer(out, SB_STATUS_OK, ok, strlen(ok));
    }
    const char *none = "{}";
    return answer(out, SB_STATUS_OK, none, strlen(none));
}

static void free_buffer(SbBuffer buffer) {
    free(buffer.ptr);
}

static const SbPluginDescriptor descriptor = {
    .abi_version = SB_ABI_VERSION,
    .struct_size = sizeof(SbPluginDescriptor),
    .sdk_version = SB_SDK_VERSION,
    .target_triple = SB_TARGET_TRIPLE,
    .name = HELLO_NAME,
    .init = init,
    .call = call,
    .free_buffer = free_buffer,
};

const SbPluginDescriptor *switchboard_plugin_entry_v1(void) {
    return &descriptor;
}
