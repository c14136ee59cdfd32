//! The lines an exec plugin and the host exchange.
//!
//! - plugin → host, first: `{"protocol": 1, "declarations": {...}}`
//! - host → plugin: `{"id": 7, "request": {"type": "command", ...}}`
//! - plugin → host: `{"id": 7, "result": {...}}` or `{"id": 7, "error": "text"}`
//! - plugin → host, any time: `{"host": "log" | "publish" | "send" | "kv_get" | "kv_put" |
//!   "config", ...}`; those with a `"ref"` get `{"ref": N, "result": ...}` or `{"ref": N, "error": ...}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use switchboard_plugin_sdk::{Declarations, Request};

pub const PROTOCOL_VERSION: u32 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    pub protocol: u32,
    #[serde(default)]
    pub declarations: Declarations,
}

#[derive(Debug, Serialize)]
pub struct Outgoing<'a> {
    pub id: u64,
    pub request: &'a Request,
}

/// One line from the plugin after the hello.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Incoming {
    Answer {
        id: u64,
        #[serde(default)]
        result: Option<Value>,
        #[serde(default)]
        error: Option<String>,
    },
    Host(HostCall),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "host", rename_all = "snake_case")]
pub enum HostCall {
    Log {
        #[serde(default)]
        level: String,
        message: String,
    },
    Publish {
        topic: String,
        payload: Value,
    },
    Send {
        connector: String,
        channel: Option<String>,
        user: Option<String>,
        text: String,
        #[serde(rename = "ref")]
        reference: Option<u64>,
    },
    KvGet {
        key: String,
        #[serde(rename = "ref")]
        reference: u64,
    },
    KvPut {
        key: String,
        value: String,
        #[serde(rename = "ref")]
        reference: Option<u64>,
    },
    Config {
        #[serde(rename = "ref")]
        reference: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_host_calls_are_told_apart() {
        let answer: Incoming =
            serde_json::from_str(r#"{"id":3,"result":{"reply":"hi"}}"#).expect("answer");
        assert!(matches!(
            answer,
            Incoming::Answer {
                id: 3,
                result: Some(_),
                error: None
            }
        ));
        let log: Incoming =
            serde_json::from_str(r#"{"host":"log","level":"info","message":"m"}"#).expect("log");
        assert!(matches!(log, Incoming::Host(HostCall::Log { .. })));
        let get: Incoming =
            serde_json::from_str(r#"{"host":"kv_get","key":"k","ref":1}"#).expect("get");
        assert!(matches!(
            get,
            Incoming::Host(HostCall::KvGet { reference: 1, .. })
        ));
        assert!(serde_json::from_str::<Incoming>(r#"{"nonsense":1}"#).is_err());
    }
}
