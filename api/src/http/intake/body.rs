//! Reading a request's whole body within the sink's limit.

use bytes::{Buf, Bytes, BytesMut};
use futures::{Stream, StreamExt};
use warp::http::HeaderMap;

use crate::http::refusal::catalogue::{TooLarge, UnreadableBody};
use crate::http::refusal::Refusal;

/// The whole body, or [`TooLarge`] once it is known to be over `limit` (by its declared length
/// or by what has arrived). A body over `limit` but within `drain` is read to its end first,
/// so the connection can carry the next request; a larger one is refused at once, and the
/// listener then closes the connection.
pub(super) async fn read_body<S, B>(
    body: S,
    headers: &HeaderMap,
    limit: usize,
    drain: usize,
) -> Result<Bytes, Refusal>
where
    S: Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    let too_large = || Refusal::from(TooLarge::new(limit));
    let mut body = std::pin::pin!(body);
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut over = declared.is_some_and(|n| n > limit as u64);
    if declared.is_some_and(|n| n > limit.max(drain) as u64) {
        return Err(too_large());
    }
    // Most bodies arrive in one chunk: that chunk is kept as it is (no copy); only a body in
    // several chunks is collected into a buffer.
    let mut first: Option<Bytes> = None;
    let mut collected = BytesMut::new();
    let mut seen = 0usize;
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|e| UnreadableBody::new(e.to_string()))?;
        let size = chunk.remaining();
        seen = seen.saturating_add(size);
        if seen > limit {
            over = true;
            if seen > drain {
                return Err(too_large());
            }
        }
        if over {
            chunk.advance(size);
            continue;
        }
        if seen == size {
            first = Some(chunk.copy_to_bytes(size));
            continue;
        }
        if let Some(earlier) = first.take() {
            collected.extend_from_slice(&earlier);
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            collected.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    if over {
        Err(too_large())
    } else {
        Ok(first.unwrap_or_else(|| collected.freeze()))
    }
}
