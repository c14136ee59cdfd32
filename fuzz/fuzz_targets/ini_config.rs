//! `config.ini` as `check-config` reads it: `Config::from_text` (the INI parser under it), then
//! `assemble`, which validates every key against every built-in section's spec and builds
//! every built-in plugin from the config.
//!
//! Invariants: every section and key the parser reports is well formed (names trimmed, keys
//! lower case without `=`/`:`, values trimmed and on one line, line numbers in the text), and
//! writing the parsed config back out as INI and reading it again gives the same sections,
//! keys and values.

#![no_main]

use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use switchboard_api::config::{Config, Origin};
use switchboard_api::plugin::{Plugin, Source};
use switchboard_fuzz::in_runtime;

thread_local! {
    static BUILTINS: Vec<(Source, Arc<dyn Plugin>)> = switchboard_plugins::builtins()
        .into_iter()
        .map(|p| (Source::Builtin, p))
        .collect();
}

const PATH: &str = "fuzz/config.ini";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let config = match Config::from_text(PATH, &text) {
        Ok(config) => config,
        Err(errors) => {
            assert!(!errors.0.is_empty(), "refused with no error");
            let _ = errors.to_string();
            return;
        }
    };
    well_formed(&config, text.lines().count());
    round_trips(&config);
    in_runtime(|| {
        BUILTINS.with(|builtins| {
            if let Err(e) = switchboard_runtime::bot::assemble(&config, builtins) {
                let _ = e.to_string();
            }
        })
    });
});

fn well_formed(config: &Config, lines: usize) {
    for section in config.sections() {
        let name = &section.name;
        assert!(!name.is_empty(), "an empty section name");
        assert_eq!(name.trim(), name, "a section name with spaces around it");
        assert!(!name.contains('\n'), "a section name over two lines");
        for (key, entry) in &section.entries {
            assert!(!key.is_empty(), "an empty key in [{name}]");
            assert_eq!(key.trim(), key, "a key with spaces around it");
            assert_eq!(&key.to_lowercase(), key, "a key not in lower case");
            assert!(!key.contains(['=', ':', '\n']), "key {key:?}");
            let value = &entry.value;
            assert_eq!(value.trim(), value, "a value with spaces around it");
            assert!(!value.contains('\n'), "a value over two lines");
            match &entry.origin {
                Origin::File { path, line } => {
                    assert_eq!(path, Path::new(PATH));
                    assert!((1..=lines).contains(line), "line {line} of {lines}");
                }
                other => panic!("a key from the text has origin {other:?}"),
            }
        }
    }
}

fn round_trips(config: &Config) {
    let mut written = String::new();
    for section in config.sections() {
        let _ = writeln!(written, "[{}]", section.name);
        for (key, entry) in &section.entries {
            let _ = writeln!(written, "{key} = {}", entry.value);
        }
    }
    let again = match Config::from_text(PATH, &written) {
        Ok(again) => again,
        Err(e) => panic!("the config written back does not read: {e}\n{written:?}"),
    };
    let contents = |c: &Config| -> Vec<(String, Vec<(String, String)>)> {
        c.sections()
            .map(|s| {
                let entries = s
                    .entries
                    .iter()
                    .map(|(k, e)| (k.clone(), e.value.clone()))
                    .collect();
                (s.name.clone(), entries)
            })
            .collect()
    };
    assert_eq!(contents(config), contents(&again), "{written:?}");
}
