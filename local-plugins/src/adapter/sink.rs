//! A local plugin's HTTP routes as a [`Sink`]: each request passes the shared per-sink intake
//! (body size, timeout, concurrency, allow list, counters, request id) like a built-in sink's,
//! then goes to the plugin as JSON, and the plugin's JSON answer becomes the response.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use switchboard_plugin_sdk::{HttpRequest, HttpResponse, Request, RouteDeclaration};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use crate::backend::{Backend, CallError};
use switchboard_api::context::Context;
use switchboard_api::http::catalogue::{
    BadPluginAnswer, PluginError, PluginFaulted, PluginUnavailable,
};
use switchboard_api::http::TlsFiles;
use switchboard_api::http::{
    combine, Answer, HandlerResult, Intake, ListenerSettings, Refusal, SinkRequest,
};
use switchboard_api::sink::{ListenerAddr, RouteSpec, Sink, SinkFilter};

pub struct LocalSink {
    pub plugin: String,
    pub listener: ListenerSettings,
    pub routes: Vec<RouteDeclaration>,
    pub backend: Arc<dyn Backend>,
    pub timeout: Duration,
}

impl Sink for LocalSink {
    fn name(&self) -> &str {
        &self.plugin
    }

    fn listener(&self) -> ListenerAddr {
        self.listener.addr.clone()
    }

    fn tls(&self) -> Option<TlsFiles> {
        self.listener.tls.clone()
    }

    fn listener_configured_at(&self) -> Option<String> {
        Some(self.listener.configured_at.clone())
    }

    fn routes(&self) -> Vec<RouteSpec> {
        self.routes
            .iter()
            .map(|r| RouteSpec::new(&r.method, &r.path))
            .collect()
    }

    fn filter(&self, ctx: Context) -> SinkFilter {
        let intake = Intake::new(
            &self.plugin,
            self.listener.limits.clone(),
            ctx.sink_counters().for_sink(&self.plugin),
        );
        let caller = Arc::new(Caller {
            plugin: self.plugin.clone(),
            backend: self.backend.clone(),
            timeout: self.timeout,
            ctx,
        });
        let filters = self
            .routes
            .iter()
            .map(|declared| {
                let spec = RouteSpec::new(&declared.method, &declared.path);
                let route = Arc::new(spec.clone());
                let caller = caller.clone();
                intake.serve(&spec, move |request| {
                    let (caller, route) = (caller.clone(), route.clone());
                    async move { caller.call(&route, request).await }
                })
            })
            .collect();
        match combine(filters) {
            Some(filter) => filter,
            None => {
                // A plugin without routes gets no sink; this answers nothing, like no route.
                use warp::Filter;
                warp::any()
                    .and_then(|| async { Err::<Response, _>(warp::reject::not_found()) })
                    .boxed()
            }
        }
    }
}

/// What a request needs to reach the plugin.
struct Caller {
    plugin: String,
    backend: Arc<dyn Backend>,
    timeout: Duration,
    ctx: Context,
}

impl Caller {
    async fn call(&self, route: &RouteSpec, request: SinkRequest) -> HandlerResult {
        let http = HttpRequest {
            method: route.method.clone(),
            route: route.path.clone(),
            params: params(&route.path, &request.path_segments()),
            path: request.path,
            query: request.query,
            headers: header_map(&request.headers),
            body: body_value(&request.body),
        };
        let answer = self
            .backend
            .call(Request::Http(http), &self.ctx, self.timeout)
            .await;
        match answer {
            Ok(answer) => match serde_json::from_value::<HttpResponse>(answer) {
                Ok(response) => respond(response).map(Answer::Accepted),
                Err(e) => {
                    let error = CallError::Fault(format!(
                        "answered an HTTP request with something that is not a response: {e}"
                    ));
                    super::report(&self.ctx, &self.plugin, "route", &error);
                    Err(BadPluginAnswer::new(error.to_string()).into())
                }
            },
            Err(error) => {
                super::report(&self.ctx, &self.plugin, "route", &error);
                let detail = error.to_string();
                Err(match error {
                    CallError::Plugin(_) => PluginError::new(detail).into(),
                    CallError::Fault(_) => PluginFaulted::new(detail).into(),
                    CallError::Unavailable(_) => PluginUnavailable::new(detail).into(),
                })
            }
        }
    }
}

/// The `{name}` values of a request whose (percent-decoded) segments matched `pattern`.
fn params(pattern: &str, segments: &[String]) -> BTreeMap<String, String> {
    pattern
        .trim_matches('/')
        .split('/')
        .zip(segments)
        .filter_map(|(want, got)| {
            let name = want.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_string(), got.clone()))
        })
        .collect()
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

fn body_value(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// The plugin's answer as the response; a header HTTP cannot carry makes it a bad answer,
/// counted as such.
fn respond(response: HttpResponse) -> Result<Response, Refusal> {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut builder = warp::http::Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(response.body.to_string().into())
        .map_err(|_| BadPluginAnswer::new("the plugin sent an invalid header").into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_named_by_the_route_and_decoded() {
        assert_eq!(params("/hello", &["hello".into()]), BTreeMap::new());
        let found = params(
            "/hook/{room}",
            &switchboard_api::http::path_segments("/hook/%23ops/"),
        );
        assert_eq!(found.get("room").map(String::as_str), Some("#ops"));
    }
}
