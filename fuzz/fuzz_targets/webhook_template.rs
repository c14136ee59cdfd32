//! The webhook sink's message template (`MessageTemplate`): a template compiled from the input,
//! rendered against a JSON body from the input, and the documented templates rendered against
//! that body (the template is the operator's; the body is anyone's).
//!
//! The input is `template NUL body`; without a NUL it is the body, and also the template.
//!
//! Invariants: a body that is not a JSON object is refused, never rendered; a rendered message
//! is trimmed.

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_plugins::sinks::webhook::MessageTemplate;

/// The templates in docs/sinks.md, config.ini.example and the tests, and a loop over a field.
const DOCUMENTED: [&str; 5] = [
    "[{{ repository.full_name }}] {{ sender.login }} pushed {{ commits | length }} commit(s)",
    "order {{ data.id }}: {{ type }}",
    "{{ job }}",
    "{{ ref }}",
    "{% for c in commits %}{{ c.id }}: {{ c.message }} {% endfor %}",
];

thread_local! {
    static COMPILED: Vec<MessageTemplate> = DOCUMENTED
        .iter()
        .map(|source| MessageTemplate::compile(source).expect("a documented template compiles"))
        .collect();
}

fuzz_target!(|data: &[u8]| {
    let (template, body) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, data),
    };
    let body: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    if let Some(body) = &body {
        COMPILED.with(|compiled| {
            for template in compiled {
                check_render(template, body);
            }
        });
    }
    let Ok(source) = std::str::from_utf8(template) else {
        return;
    };
    let Ok(template) = MessageTemplate::compile(source) else {
        return;
    };
    if let Some(body) = &body {
        check_render(&template, body);
    }
    check_render(
        &template,
        &serde_json::json!({"a": [1, "two", {"three": null}]}),
    );
});

fn check_render(template: &MessageTemplate, body: &serde_json::Value) {
    match template.render(body) {
        Ok(text) => {
            assert!(body.is_object(), "rendered a body that is not an object");
            assert_eq!(text.trim(), text, "an untrimmed message");
        }
        Err(e) => assert!(!e.is_empty()),
    }
}
