//! The warp filter for a [`RouteSpec`]: the registry's claim and the server's match come from
//! the same value. `/a/b` and `/a/b/` are the same route; `{name}` matches one non-empty segment.

use warp::filters::path::FullPath;
use warp::filters::BoxedFilter;
use warp::http::Method;
use warp::Filter;

use super::refusal::catalogue::MethodNotAllowed;
use crate::sink::RouteSpec;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
}

fn segments(path: &str) -> Vec<&str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    }
}

fn pattern(path: &str) -> Vec<Segment> {
    segments(path)
        .into_iter()
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Param
            } else {
                Segment::Literal(s.to_string())
            }
        })
        .collect()
}

fn matches(pattern: &[Segment], path: &str) -> bool {
    let given = segments(path);
    given.len() == pattern.len()
        && pattern.iter().zip(given).all(|(p, g)| match p {
            Segment::Literal(l) => l == g,
            Segment::Param => !g.is_empty(),
        })
}

/// Matches the route's path (404 otherwise) and method (405 otherwise); extracts nothing.
pub fn route_filter(route: &RouteSpec) -> BoxedFilter<()> {
    routes_filter(std::slice::from_ref(route))
}

/// Matches any of `routes` in one filter: the path is looked at once, instead of one filter
/// per route tried in turn (each failed try costs a rejection). 404 when no route has the path,
/// 405 when one has it with another method; extracts nothing.
pub fn routes_filter(routes: &[RouteSpec]) -> BoxedFilter<()> {
    matching(routes).map(|_, _| ()).untuple_one().boxed()
}

/// [`routes_filter`], handing on the method and path it looked at, so that the intake does
/// not extract them a second time.
pub(crate) fn matching(routes: &[RouteSpec]) -> BoxedFilter<(Method, FullPath)> {
    let routes: std::sync::Arc<Vec<(Method, Vec<Segment>)>> = std::sync::Arc::new(
        routes
            .iter()
            .map(|route| {
                let method = Method::from_bytes(route.method.as_bytes()).unwrap_or(Method::POST);
                (method, pattern(&route.path))
            })
            .collect(),
    );
    warp::method()
        .and(warp::path::full())
        .and_then(move |m: Method, path: FullPath| {
            let mut answer = Err(warp::reject::not_found());
            for (method, pattern) in routes.iter() {
                if matches(pattern, path.as_str()) {
                    if *method == m {
                        answer = Ok((m, path));
                        break;
                    }
                    answer = Err(warp::reject::custom(MethodNotAllowed));
                }
            }
            futures::future::ready(answer)
        })
        .untuple_one()
        .boxed()
}

/// The request path's segments, percent-decoded (a segment that is not UTF-8 stays as sent).
pub fn path_segments(path: &str) -> Vec<String> {
    segments(path)
        .into_iter()
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| s.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn several_routes_in_one_filter_answer_as_one_filter_each_would() {
        let filter = routes_filter(&[
            RouteSpec::new("GET", "/"),
            RouteSpec::new("POST", "/"),
            RouteSpec::new("POST", "/checkins"),
        ])
        .map(|| "ok");
        for (method, path) in [
            ("GET", "/"),
            ("POST", "/"),
            ("POST", "/checkins"),
            ("POST", "/checkins/"),
        ] {
            let request = warp::test::request().method(method).path(path);
            assert!(request.filter(&filter).await.is_ok(), "{method} {path}");
        }
        let put = warp::test::request().method("PUT").path("/checkins");
        let rejection = put.filter(&filter).await.unwrap_err();
        assert!(rejection.find::<MethodNotAllowed>().is_some());
        let elsewhere = warp::test::request().method("POST").path("/other");
        assert!(elsewhere.filter(&filter).await.unwrap_err().is_not_found());
    }

    #[test]
    fn trailing_slashes_and_params() {
        let p = pattern("/{conversation}");
        assert!(matches(&p, "/general"));
        assert!(matches(&p, "/general/"));
        assert!(!matches(&p, "/"));
        assert!(!matches(&p, "/a/b"));
        let p = pattern("/hooks/github");
        assert!(matches(&p, "/hooks/github/"));
        assert!(!matches(&p, "/hooks/gitlab"));
        assert!(matches(&pattern("/"), "/"));
    }

    #[test]
    fn segments_are_percent_decoded() {
        assert_eq!(path_segments("/%23general/"), vec!["#general"]);
        assert_eq!(path_segments("/@alice"), vec!["@alice"]);
    }

    #[tokio::test]
    async fn wrong_method_is_405_and_wrong_path_404() {
        let filter = route_filter(&RouteSpec::new("POST", "/{c}"))
            .map(|| "ok")
            .recover(super::super::reply::unmatched);
        let get = warp::test::request()
            .method("GET")
            .path("/x")
            .reply(&filter)
            .await;
        assert_eq!(get.status(), 405);
        let deep = warp::test::request()
            .method("POST")
            .path("/x/y")
            .reply(&filter)
            .await;
        assert_eq!(deep.status(), 404);
        let ok = warp::test::request()
            .method("POST")
            .path("/x/")
            .reply(&filter)
            .await;
        assert_eq!(ok.status(), 200);
    }
}
