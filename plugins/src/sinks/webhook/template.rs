//! The message a webhook becomes: a template over the JSON body, `{{ field.path }}` (minijinja).
//! A field the body lacks renders as nothing.

use minijinja::{Environment, UndefinedBehavior};

const NAME: &str = "message";

pub struct MessageTemplate {
    env: Environment<'static>,
}

impl MessageTemplate {
    pub fn compile(source: &str) -> Result<Self, String> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
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
        template
            .render(minijinja::Value::from_serialize(body))
            .map(|text| text.trim().to_string())
            .map_err(|e| format!("the template cannot render this body: {e}"))
    }
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

    #[test]
    fn a_broken_template_is_refused_up_front() {
        let err = MessageTemplate::compile("{{ unclosed").err().unwrap();
        assert!(err.starts_with("the template does not compile"), "{err}");
    }
}
