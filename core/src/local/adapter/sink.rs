//! A local plugin's HTTP routes as a [`Sink`]: the request goes to the plugin as JSON, and the
//! plugin's JSON answer becomes the response.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use switchboard_plugin_sdk::{HttpRequest, HttpResponse, Request, RouteDeclaration};
use warp::http::{HeaderMap, Method, StatusCode};
use warp::Filter;

use crate::context::Context;
use crate::local::backend::{Backend, CallError};
use crate::sink::{ListenerAddr, RouteSpec, Sink, SinkFilter};

/// Largest request body passed to a plugin.
pub const BODY_LIMIT: u64 = 1024 * 1024;

pub struct LocalSink {
    pub plugin: String,
    pub listener: ListenerAddr,
    pub routes: Vec<RouteDeclaration>,
    pub backend: Arc<dyn Backend>,
    pub timeout: Duration,
}

impl Sink for LocalSink {
    fn name(&self) -> &str {
        &self.plugin
    }

    fn listener(&self) -> ListenerAddr {
        self.listener.clone()
    }

    fn routes(&self) -> Vec<RouteSpec> {
        self.routes
            .iter()
            .map(|r| RouteSpec::new(&r.method, &r.path))
            .collect()
    }

    fn filter(&self, ctx: Context) -> SinkFilter {
        let routes = Arc::new(self.routes.clone());
        let backend = self.backend.clone();
        let plugin: Arc<str> = self.plugin.as_str().into();
        let timeout = self.timeout;
        let query = warp::query::raw().or(warp::any().map(String::new)).unify();
        warp::method()
            .and(warp::path::full())
            .and_then(move |method: Method, path: warp::path::FullPath| {
                let routes = routes.clone();
                async move {
                    routes
                        .iter()
                        .find_map(|r| {
                            let params = matches(&r.path, path.as_str())?;
                            r.method
                                .eq_ignore_ascii_case(method.as_str())
                                .then(|| (method.to_string(), r.path.clone(), path.as_str().to_string(), params))
                        })
                        .ok_or_else(warp::reject::not_found)
                }
            })
            .and(query)
            .and(warp::header::headers_cloned())
            .and(warp::body::content_length_limit(BODY_LIMIT))
            .and(warp::body::bytes())
            .then(
                move |(method, route, path, params): Matched,
                      query: String,
                      headers: HeaderMap,
                      body: bytes::Bytes| {
                    let (backend, plugin, ctx) = (backend.clone(), plugin.clone(), ctx.clone());
                    async move {
                        let request = Request::Http(HttpRequest {
                            method,
                            route,
                            path,
                            params,
                            query,
                            headers: header_map(&headers),
                            body: body_value(&body),
                        });
                        match backend.call(request, &ctx, timeout).await {
                            Ok(answer) => match serde_json::from_value::<HttpResponse>(answer) {
                                Ok(response) => respond(response),
                                Err(e) => {
                                    let error = CallError::Fault(format!("answered an HTTP request with something that is not a response: {e}"));
                                    super::report(&ctx, &plugin, "route", &error);
                                    error_response(StatusCode::BAD_GATEWAY, &error.to_string())
                                }
                            },
                            Err(error) => {
                                super::report(&ctx, &plugin, "route", &error);
                                let status = match error {
                                    CallError::Plugin(_) => StatusCode::INTERNAL_SERVER_ERROR,
                                    _ => StatusCode::SERVICE_UNAVAILABLE,
                                };
                                error_response(status, &error.to_string())
                            }
                        }
                    }
                },
            )
            .boxed()
    }
}

type Matched = (String, String, String, BTreeMap<String, String>);

/// The `{name}` values when `path` matches the route `pattern`.
fn matches(pattern: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    let mut want = pattern.trim_matches('/').split('/');
    let mut got = path.trim_matches('/').split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) => {
                if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    params.insert(name.to_string(), g.to_string());
                } else if w != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
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

fn respond(response: HttpResponse) -> warp::reply::Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut builder = warp::http::Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(response.body.to_string().into())
        .unwrap_or_else(|_| {
            error_response(StatusCode::BAD_GATEWAY, "the plugin sent an invalid header")
        })
}

fn error_response(status: StatusCode, error: &str) -> warp::reply::Response {
    let body = serde_json::json!({ "error": error }).to_string();
    let mut response = warp::reply::Response::new(body.into());
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        warp::http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_literal_and_variable_segments() {
        assert_eq!(matches("/hello", "/hello"), Some(BTreeMap::new()));
        assert_eq!(matches("/hello", "/hello/x"), None);
        let params = matches("/hook/{room}", "/hook/ops").expect("match");
        assert_eq!(params.get("room").map(String::as_str), Some("ops"));
        assert_eq!(matches("/hook/{room}", "/hook/"), None);
    }
}
