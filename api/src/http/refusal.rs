//! Refusals: every way a sink or the intake turns a request down is a type declared once with
//! [`define_refusal!`](crate::define_refusal), carrying its status, its reason word and its
//! message. The built-in kinds are in [`catalogue`]; a plugin declares a kind of its own the
//! same way. A [`Refusal`] is one such kind, ready to answer: the intake counts it by its reason
//! and answers `{"status": N, "reason": "...", "message": "..."}`, or the exact body of the
//! protocol a sink re-implements when the sink gives one ([`Refusal::with_body`]).

pub mod catalogue;

use std::fmt;

use bytes::Bytes;
use warp::http::header::{HeaderValue, CONTENT_TYPE};
use warp::http::StatusCode;
use warp::reply::Response;

use super::reply::json_error;

/// One kind of refusal: its status, its reason word and how its message reads. Implemented by
/// [`define_refusal!`](crate::define_refusal); each kind's reason is its own.
pub trait RefusalKind {
    /// The HTTP status every refusal of this kind answers with.
    const STATUS: StatusCode;
    /// The stable word for counters and clients, e.g. `too_large`.
    const REASON: &'static str;
    /// The sentence for the human reading the response; never a secret.
    fn message(&self) -> String;
}

/// A request a sink or the intake refused: one [`RefusalKind`], ready to answer.
///
/// ```
/// use switchboard_api::define_refusal;
/// use switchboard_api::http::{HandlerResult, Refusal};
///
/// define_refusal! {
///     /// The order named in the path is not known.
///     #[refusal(status = NOT_FOUND, reason = "unknown_order")]
///     pub struct UnknownOrder {
///         /// The order's id as the path gave it.
///         id: String,
///     } => "there is no order {id}";
/// }
///
/// fn handle(id: &str) -> HandlerResult {
///     Err(UnknownOrder::new(id).into())
/// }
///
/// let refusal: Refusal = UnknownOrder::new("A-17").into();
/// assert_eq!((refusal.status().as_u16(), refusal.reason()), (404, "unknown_order"));
/// assert_eq!(refusal.message(), "there is no order A-17");
/// assert!(handle("A-17").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    status: StatusCode,
    reason: &'static str,
    message: String,
    body: Option<Bytes>,
}

impl<K: RefusalKind> From<K> for Refusal {
    fn from(kind: K) -> Refusal {
        Refusal {
            status: K::STATUS,
            reason: K::REASON,
            message: kind.message(),
            body: None,
        }
    }
}

impl Refusal {
    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Its kind's reason word, e.g. `bad_signature`; the intake counts refusals by it.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// The sentence for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is a refusal of kind `K`.
    pub fn is<K: RefusalKind>(&self) -> bool {
        self.reason == K::REASON
    }

    /// Answers with `json` as the body instead of the usual `{"status", "reason", "message"}`:
    /// for a protocol that fixes its error bodies byte for byte (the check-in receiver's
    /// `{"error":"unauthorized"}`). The status and the reason stay the kind's.
    pub fn with_body(mut self, json: impl Into<Bytes>) -> Refusal {
        self.body = Some(json.into());
        self
    }

    /// The response: the protocol's body when one was given, else the JSON refusal.
    pub fn into_response(self) -> Response {
        match self.body {
            Some(body) => {
                let mut response = Response::new(body.into());
                *response.status_mut() = self.status;
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                response
            }
            None => json_error(self.status, self.reason, &self.message),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.reason,
            self.message
        )
    }
}

/// Declares refusal kinds, each a type with its status, its reason word and its message, in
/// the manner of axum's `define_rejection!`. A kind without fields has a fixed message; a kind
/// with fields gets a `new` taking them in order (each as `impl Into<T>`), and its message may
/// name them (`{limit}`). Every kind converts into a [`Refusal`](crate::http::Refusal), so a
/// handler writes `Err(TooLarge::new(limit).into())` or uses `?`.
///
/// ```
/// switchboard_api::define_refusal! {
///    /// The sink is closed for maintenance.
///    #[refusal(status = SERVICE_UNAVAILABLE, reason = "closed")]
///    pub struct Closed => "closed for maintenance; retry later";
///
///    /// The body names too many items.
///    #[refusal(status = BAD_REQUEST, reason = "too_many_items")]
///    pub struct TooManyItems {
///        /// The most a body may name.
///        limit: usize,
///    } => "a body names at most {limit} items";
/// }
/// use switchboard_api::http::RefusalKind;
/// assert_eq!(TooManyItems::new(3usize).message(), "a body names at most 3 items");
/// assert_eq!(Closed::REASON, "closed");
/// ```
#[macro_export]
macro_rules! define_refusal {
    () => {};
    (
        $(#[doc = $doc:literal])*
        #[refusal(status = $status:ident, reason = $reason:literal)]
        $vis:vis struct $name:ident => $message:literal;
        $($rest:tt)*
    ) => {
        $(#[doc = $doc])*
        #[doc = ""]
        #[doc = concat!("Answers `", stringify!($status), "` with the reason `", $reason, "`.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        $vis struct $name;

        impl $crate::http::RefusalKind for $name {
            const STATUS: $crate::http::StatusCode = $crate::http::StatusCode::$status;
            const REASON: &'static str = $reason;
            fn message(&self) -> ::std::string::String {
                ::std::string::String::from($message)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($message)
            }
        }

        $crate::define_refusal! { $($rest)* }
    };
    (
        $(#[doc = $doc:literal])*
        #[refusal(status = $status:ident, reason = $reason:literal)]
        $vis:vis struct $name:ident {
            $( $(#[doc = $field_doc:literal])* $field:ident : $ty:ty ),+ $(,)?
        } => $message:literal;
        $($rest:tt)*
    ) => {
        $(#[doc = $doc])*
        #[doc = ""]
        #[doc = concat!("Answers `", stringify!($status), "` with the reason `", $reason, "`.")]
        #[derive(Debug, Clone, PartialEq, Eq)]
        $vis struct $name {
            $( $(#[doc = $field_doc])* pub $field: $ty, )+
        }

        impl $name {
            #[doc = concat!("A `", stringify!($name), "` with these details.")]
            #[allow(clippy::new_ret_no_self, clippy::too_many_arguments)]
            pub fn new($($field: impl ::std::convert::Into<$ty>),+) -> $name {
                $name { $($field: $field.into()),+ }
            }
        }

        impl $crate::http::RefusalKind for $name {
            const STATUS: $crate::http::StatusCode = $crate::http::StatusCode::$status;
            const REASON: &'static str = $reason;
            fn message(&self) -> ::std::string::String {
                #[allow(unused_variables)]
                let $name { $($field),+ } = self;
                format!($message)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&$crate::http::RefusalKind::message(self))
            }
        }

        $crate::define_refusal! { $($rest)* }
    };
}

#[cfg(test)]
mod tests;
