//! The message a webhook becomes: a template over the JSON body, `{{ field.path }}` (minijinja).
//! A field the body lacks renders as nothing. Rendering is bounded, whatever the template and
//! the body: at most [`MAX_MESSAGE`] bytes of output and [`FUEL`] template instructions.

use std::io::{self, Write};

use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

const NAME: &str = "message";

/// The longest message a template may render, in bytes.
pub const MAX_MESSAGE: usize = 65_536;

/// The template instructions one render may run: far more than a loop over every item a
/// 64 KiB body can hold needs, far fewer than a runaway loop would take.
pub const FUEL: u64 = 1_000_000;

/// The most items a list may have to be printed whole (`{{ commits }}`): printing goes through
/// every item even once the output is over [`MAX_MESSAGE`], so a longer one is refused first.
pub const MAX_PRINTED_ITEMS: usize = 10_000;

/// Collects what is rendered, and fails the render once it is over [`MAX_MESSAGE`].
#[derive(Default)]
struct Bounded {
    text: Vec<u8>,
    over: bool,
}

impl Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.text.len() + bytes.len() > MAX_MESSAGE {
            self.over = true;
            return Err(io::Error::other("message too long"));
        }
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub struct MessageTemplate {
    env: Environment<'static>,
}

impl MessageTemplate {
    pub fn compile(source: &str) -> Result<Self, String> {
        if uses_repetition(source) {
            return Err(
                "the template multiplies (`*`), which message templates do not allow: \
                 repeating a list or a string can make a message of any size"
                    .to_string(),
            );
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_fuel(Some(FUEL));
        env.set_formatter(|out, state, value| {
            let list = matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable);
            match value.len() {
                Some(items) if list && items > MAX_PRINTED_ITEMS => Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("a list of {items} items is too long to print (at most {MAX_PRINTED_ITEMS})"),
                )),
                _ => minijinja::escape_formatter(out, state, value),
            }
        });
        env.add_template_owned(NAME, source.to_string())
            .map_err(|e| format!("the template does not compile: {e}"))?;
        Ok(MessageTemplate { env })
    }

    /// Renders with the body's fields as variables; the body must be a JSON object.
    pub fn render(&self, body: &serde_json::Value) -> Result<String, String> {
        if !body.is_object() {
            return Err("the body must be a JSON object".into());
        }
        let template = self
            .env
            .get_template(NAME)
            .map_err(|e| format!("the template cannot be used: {e}"))?;
        let mut out = Bounded::default();
        match template.render_captured_to(minijinja::Value::from_serialize(body), &mut out) {
            Ok(_) => Ok(String::from_utf8_lossy(&out.text).trim().to_string()),
            Err(_) if out.over => Err(format!(
                "the template renders a message over {MAX_MESSAGE} bytes for this body"
            )),
            Err(e) => Err(format!("the template cannot render this body: {e}")),
        }
    }
}

/// Whether an expression of the template (`{{ ... }}` or `{% ... %}`) has a `*` outside its
/// quoted strings. minijinja repeats a list `n` times lazily and computes the length with an
/// unchecked multiplication (found by the `webhook_template` fuzz target), so a template must not
/// repeat at all; nothing a chat message needs is a product.
fn uses_repetition(source: &str) -> bool {
    let mut rest = source;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[1..];
        let end = body.find(close).unwrap_or(body.len());
        let mut quote = None;
        for c in body[..end].chars() {
            match (quote, c) {
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '*') => return true,
                _ => {}
            }
        }
        rest = &body[end..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_fields_and_missing_ones() {
        let t = MessageTemplate::compile(
            "[{{ repository.full_name }}] {{ sender.login }} pushed {{ commits | length }} commit(s){{ nothing.here }}",
        )
        .unwrap();
        let body = serde_json::json!({
            "repository": {"full_name": "octo/hello"},
            "sender": {"login": "mona"},
            "commits": [1, 2],
        });
        assert_eq!(
            t.render(&body).unwrap(),
            "[octo/hello] mona pushed 2 commit(s)"
        );
        assert!(t.render(&serde_json::json!([1])).is_err());
    }

    /// Found by the `webhook_template` fuzz target: a list repeated 55 million times took
    /// minutes to render, and a repeat count near 2^64 overflowed minijinja's length.
    #[test]
    fn a_template_that_multiplies_is_refused_up_front() {
        for source in [
            "{{a*55555222.}}",
            "{{a*--000000000000000003036825201039085112*--22}}",
            "{% for x in a * 3 %}{{ x }}{% endfor %}",
            "{% set b = a*2 %}{{ b }}",
        ] {
            let err = MessageTemplate::compile(source).err().unwrap();
            assert!(
                err.starts_with("the template multiplies"),
                "{source}: {err}"
            );
        }
        for fine in [
            "{{ '*' }} {{ \"a*b\" }} * stars * {{ a }}",
            "{# a*b #}{{ a }}",
        ] {
            assert!(MessageTemplate::compile(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn a_list_too_long_to_print_is_refused_before_it_is_walked() {
        let t = MessageTemplate::compile("{{ range(20000) }}").unwrap();
        let err = t.render(&serde_json::json!({})).unwrap_err();
        assert!(
            err.contains("a list of 20000 items is too long to print (at most 10000)"),
            "{err}"
        );
        let t = MessageTemplate::compile("{{ a }}").unwrap();
        let body = serde_json::json!({"a": [1, 2]});
        assert_eq!(t.render(&body).unwrap(), "[1, 2]");
    }

    #[test]
    fn a_render_stops_at_the_message_limit() {
        let t =
            MessageTemplate::compile("{% for i in range(100000) %}xxxxxxxxxx{% endfor %}").unwrap();
        let err = t.render(&serde_json::json!({})).unwrap_err();
        assert_eq!(
            err,
            "the template renders a message over 65536 bytes for this body"
        );
        let long = serde_json::json!({"a": "x".repeat(MAX_MESSAGE + 1)});
        assert!(MessageTemplate::compile("{{ a }}")
            .unwrap()
            .render(&long)
            .is_err());
        let fits = serde_json::json!({"a": "x".repeat(MAX_MESSAGE)});
        assert_eq!(
            MessageTemplate::compile("{{ a }}")
                .unwrap()
                .render(&fits)
                .unwrap()
                .len(),
            MAX_MESSAGE
        );
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        let t = MessageTemplate::compile(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done",
        )
        .unwrap();
        let err = t.render(&serde_json::json!({})).unwrap_err();
        assert!(
            err.starts_with("the template cannot render this body"),
            "{err}"
        );
        assert!(err.contains("fuel"), "{err}");
    }

    #[test]
    fn a_broken_template_is_refused_up_front() {
        let err = MessageTemplate::compile("{{ unclosed").err().unwrap();
        assert!(err.starts_with("the template does not compile"), "{err}");
    }
}
