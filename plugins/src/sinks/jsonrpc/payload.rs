//! hangoutsbot's sink payload: `{"echo": text, "image": {"base64encoded": ..., "filename": ...}}`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body must be a JSON object")]
    NotAnObject,
    #[error("`echo` must be a string")]
    EchoNotText,
    #[error("nothing to send: give `echo` or `image`")]
    NothingToSend,
    #[error("`image` must be an object with `base64encoded`")]
    ImageWithoutData,
    #[error("`image.base64encoded` is not valid base64")]
    ImageNotBase64,
    #[error("`image.filename` must be a string")]
    FilenameNotText,
    #[error("`image.base64encoded` is not a PNG, JPEG, GIF, WebP or BMP image")]
    NotAnImage,
    #[error("`image.filename` ends in `.{extension}` but the image is a {kind}")]
    ImageTypeMismatch {
        extension: String,
        kind: &'static str,
    },
    #[error("`image.filename` must be a plain file name (no control characters, `/` or `\\`)")]
    FilenameNotPlain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub filename: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub text: Option<String>,
    pub image: Option<Image>,
}

impl Payload {
    /// What the chat sees: the text, and a note naming the image.
    pub fn message(&self) -> String {
        let note = self
            .image
            .as_ref()
            .map(|i| format!("[image: {}, {} bytes]", i.filename, i.bytes.len()));
        match (&self.text, note) {
            (Some(text), Some(note)) => format!("{text} {note}"),
            (Some(text), None) => text.clone(),
            (None, Some(note)) => note,
            (None, None) => String::new(),
        }
    }
}

/// Parses a body whatever its Content-Type, as the original did. `now` names images that come
/// without a filename (`<unix seconds>.<type>`).
pub fn parse(body: &[u8], now: u64) -> Result<Payload, PayloadError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let object = value.as_object().ok_or(PayloadError::NotAnObject)?;
    let text = match object.get("echo") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(PayloadError::EchoNotText),
    };
    let image = match object.get("image") {
        None | Some(serde_json::Value::Null) => None,
        Some(image) => Some(parse_image(image, now)?),
    };
    if text.is_none() && image.is_none() {
        return Err(PayloadError::NothingToSend);
    }
    Ok(Payload { text, image })
}

fn parse_image(image: &serde_json::Value, now: u64) -> Result<Image, PayloadError> {
    let encoded = image
        .get("base64encoded")
        .and_then(|v| v.as_str())
        .ok_or(PayloadError::ImageWithoutData)?;
    let bytes = BASE64
        .decode(encoded.trim())
        .map_err(|_| PayloadError::ImageNotBase64)?;
    let filename = match image.get("filename") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(PayloadError::FilenameNotText),
    };
    // The bytes must be an image, of the type the name says: a chat would otherwise show
    // anything at all under an image's name.
    let kind = image_type(&bytes).ok_or(PayloadError::NotAnImage)?;
    let filename = match filename {
        Some(name) => {
            check_filename(&name, kind)?;
            name
        }
        None => format!("{now}.{kind}"),
    };
    Ok(Image { filename, bytes })
}

/// A name with no control characters or path separators, whose extension (when it has one that
/// names an image type) is `kind`'s.
fn check_filename(name: &str, kind: &'static str) -> Result<(), PayloadError> {
    if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(PayloadError::FilenameNotPlain);
    }
    let Some((_, extension)) = name.rsplit_once('.') else {
        return Ok(());
    };
    let named = match extension.to_ascii_lowercase().as_str() {
        "png" => "png",
        "jpg" | "jpeg" | "jpe" => "jpeg",
        "gif" => "gif",
        "webp" => "webp",
        "bmp" => "bmp",
        // Not an image extension (`graph.v2`): the bytes have been checked already.
        _ => return Ok(()),
    };
    if named == kind {
        Ok(())
    } else {
        Err(PayloadError::ImageTypeMismatch {
            extension: extension.to_string(),
            kind,
        })
    }
}

/// The image type by its magic bytes.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else if bytes.starts_with(b"BM") {
        Some("bmp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn text_image_or_both() {
        let p = parse(br#"{"echo": "Hello World!"}"#, 7).unwrap();
        assert_eq!(p.message(), "Hello World!");
        let encoded = BASE64.encode(PNG);
        let body = format!(r#"{{"echo": "look", "image": {{"base64encoded": "{encoded}"}}}}"#);
        let p = parse(body.as_bytes(), 7).unwrap();
        assert_eq!(p.message(), "look [image: 7.png, 16 bytes]");
        let body =
            format!(r#"{{"image": {{"base64encoded": "{encoded}", "filename": "cat.png"}}}}"#);
        assert_eq!(
            parse(body.as_bytes(), 7).unwrap().message(),
            "[image: cat.png, 16 bytes]"
        );
    }

    #[test]
    fn every_bad_payload_has_its_own_reason() {
        let png = BASE64.encode(PNG);
        let named = |name: &str| {
            format!(
                r#"{{"image": {{"base64encoded": "{png}", "filename": {}}}}}"#,
                serde_json::json!(name)
            )
            .into_bytes()
        };
        assert_eq!(
            parse(&named("cat.jpg"), 0).unwrap_err(),
            PayloadError::ImageTypeMismatch {
                extension: "jpg".into(),
                kind: "png"
            }
        );
        assert_eq!(
            parse(&named("a\nb.png"), 0).unwrap_err(),
            PayloadError::FilenameNotPlain
        );
        assert_eq!(
            parse(&named("../x.png"), 0).unwrap_err(),
            PayloadError::FilenameNotPlain
        );
        for fine in ["CAT.PNG", "graph", "graph.v2"] {
            assert!(parse(&named(fine), 0).is_ok(), "{fine}");
        }
        let cases: [(&[u8], PayloadError); 8] = [
            (b"{not json", PayloadError::NotJson(String::new())),
            (b"[1]", PayloadError::NotAnObject),
            (br#"{"echo": 5}"#, PayloadError::EchoNotText),
            (br#"{"echo": ""}"#, PayloadError::NothingToSend),
            (
                br#"{"image": {"filename": "a.png"}}"#,
                PayloadError::ImageWithoutData,
            ),
            (
                br#"{"image": {"base64encoded": "%%%"}}"#,
                PayloadError::ImageNotBase64,
            ),
            (
                br#"{"image": {"base64encoded": "aGVsbG8="}}"#,
                PayloadError::NotAnImage,
            ),
            (
                br#"{"image": {"base64encoded": "aGVsbG8=", "filename": "a.png"}}"#,
                PayloadError::NotAnImage,
            ),
        ];
        for (body, expected) in cases {
            let got = parse(body, 0).unwrap_err();
            match expected {
                PayloadError::NotJson(_) => assert!(matches!(got, PayloadError::NotJson(_))),
                expected => assert_eq!(got, expected),
            }
        }
    }
}
