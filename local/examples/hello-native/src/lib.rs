//! `!hello [name]` greets the sender (or `name`) and counts greetings in the plugin's storage;
//! `POST /hello` with `{"name": "..."}` answers a greeting as JSON.

use switchboard_plugin_sdk::{
    export_plugin, CommandDeclaration, CommandRequest, Declarations, Host, HttpRequest,
    HttpResponse, Level, NativePlugin, RouteDeclaration,
};

#[derive(Default)]
struct Hello;

impl Hello {
    fn greeting(host: &Host) -> String {
        host.config()
            .ok()
            .and_then(|c| c.get("greeting").cloned())
            .unwrap_or_else(|| "Hello".into())
    }
}

impl NativePlugin for Hello {
    fn declarations(&self) -> Declarations {
        Declarations {
            description: "Greets people (a native example)".into(),
            commands: vec![CommandDeclaration {
                usage: "[name]".into(),
                aliases: vec!["hi".into()],
                ..CommandDeclaration::new("hello", "Greets you, or whoever you name.")
            }],
            routes: vec![RouteDeclaration {
                method: "POST".into(),
                path: "/hello".into(),
            }],
            config_keys: vec!["greeting".into()],
            ..Declarations::default()
        }
    }

    fn command(&self, call: CommandRequest, host: &Host) -> Result<Option<String>, String> {
        let who = match call.args.trim() {
            "" => call.sender.as_str(),
            name => name,
        };
        let count = host
            .kv_get("greetings")
            .map_err(|e| e.to_string())?
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        host.kv_put("greetings", &count.to_string())
            .map_err(|e| e.to_string())?;
        host.log(Level::Info, &format!("greeted {who} (greeting #{count})"));
        Ok(Some(format!("{}, {who}!", Self::greeting(host))))
    }

    fn http(&self, request: HttpRequest, host: &Host) -> HttpResponse {
        match request.body.get("name").and_then(|n| n.as_str()) {
            Some(name) => HttpResponse::json(
                200,
                serde_json::json!({ "greeting": format!("{}, {name}!", Self::greeting(host)) }),
            ),
            None => HttpResponse::json(
                400,
                serde_json::json!({ "error": "send a JSON body with a `name`" }),
            ),
        }
    }
}

export_plugin!("hello", Hello::default);
