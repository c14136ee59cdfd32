use std::time::Duration;

use super::*;

fn specs() -> Vec<SectionSpec> {
    vec![
        SectionSpec::new(
            "Bot",
            "",
            vec![
                KeySpec::new("name", ValueKind::Text, "").default("switchboard"),
                KeySpec::new("prefix", ValueKind::Text, "").default("!"),
                KeySpec::new("command_timeout", ValueKind::Duration, "").default("30s"),
                KeySpec::new("log_format", ValueKind::Choice(&["text", "json"]), "")
                    .default("text"),
            ],
        ),
        SectionSpec::new(
            "Connector.console.*",
            "",
            vec![KeySpec::new("max_message_length", ValueKind::Integer, "").default("400")],
        )
        .plugin(),
        SectionSpec::new(
            "CheckIn",
            "",
            vec![KeySpec::new("api_key", ValueKind::Text, "").env("SWITCHBOARD_TEST_CHECKIN_KEY")],
        )
        .plugin(),
    ]
}

fn messages(errors: &[ConfigError]) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

#[test]
fn typed_values_fall_back_to_declared_defaults() {
    let specs = specs();
    let config = Config::from_text("/etc/sb/config.ini", "[Bot]\nprefix = ?\n").unwrap();
    let bot = config.view("Bot", &specs[0]);
    assert_eq!(bot.get::<String>("prefix").unwrap(), "?");
    assert_eq!(bot.get::<String>("name").unwrap(), "switchboard");
    assert_eq!(
        bot.get::<Duration>("command_timeout").unwrap(),
        Duration::from_secs(30)
    );
    assert!(bot.enabled());
    assert_eq!(config.base_dir(), Path::new("/etc/sb"));
}

#[test]
fn unknown_sections_and_keys_get_a_suggestion_and_bad_values_a_line() {
    let text = "[Bot]\nprefx = ?\ncommand_timeout = soon\n[Connector.console.main]\nmax_message_length = -1\n[Bott]\n[Weather]\n";
    let config = Config::from_text("config.ini", text).unwrap();
    let errors = messages(&config.validate(&specs()));
    assert_eq!(
        errors,
        vec![
            "config.ini:3: [Bot] command_timeout: expected a duration such as 30s, 500ms, 5m or a plain number of seconds, found `soon`",
            "config.ini:2: [Bot] prefx: unknown key; did you mean `prefix`?",
            "config.ini:6: [Bott]: unknown section; did you mean [Bot]?",
            "config.ini:5: [Connector.console.main] max_message_length: expected a whole number in 0..=18446744073709551615, found `-1`",
            "config.ini:7: [Weather]: unknown section; known sections: Bot, Connector.console.*, CheckIn",
        ]
    );
}

#[test]
fn a_local_file_overrides_keys_and_adds_sections() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.ini"),
        "[Bot]\nname = base\nprefix = ?\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("local")).unwrap();
    std::fs::write(
        dir.path().join("local/config.ini"),
        "[Bot]\nname = local\n[Connector.console.main]\n",
    )
    .unwrap();
    let config = Config::load(Some(&dir.path().join("config.ini"))).unwrap();
    let specs = specs();
    let bot = config.view("Bot", &specs[0]);
    assert_eq!(bot.get::<String>("name").unwrap(), "local");
    assert_eq!(bot.get::<String>("prefix").unwrap(), "?");
    let (_, origin) = bot.raw("name").unwrap();
    assert_eq!(
        origin,
        Origin::File {
            path: dir.path().join("local/config.ini"),
            line: 2
        }
    );
    assert_eq!(
        config.instances(&specs[1]).collect::<Vec<_>>(),
        vec!["main"]
    );
    assert_eq!(config.files().len(), 2);
}

#[test]
fn a_named_file_that_cannot_be_read_is_an_error_naming_it() {
    let err = Config::load(Some(Path::new("/nonexistent/switchboard.ini"))).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/switchboard.ini:0: cannot read the file"),
        "{err}"
    );
}

#[test]
fn a_non_utf8_file_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.ini");
    std::fs::write(&path, b"[Bot]\nname = \xff\n").unwrap();
    let err = Config::load(Some(&path)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}:2: the file is not valid UTF-8", path.display())
    );
}

#[test]
fn an_environment_variable_wins_for_secrets() {
    let specs = specs();
    let config = Config::from_text("config.ini", "[CheckIn]\napi_key = from-file\n").unwrap();
    let view = config.view("CheckIn", &specs[2]);
    assert_eq!(view.get::<String>("api_key").unwrap(), "from-file");
    // The variable name is unique to this test, so no other test observes it.
    std::env::set_var("SWITCHBOARD_TEST_CHECKIN_KEY", "from-env");
    assert_eq!(view.get::<String>("api_key").unwrap(), "from-env");
    std::env::remove_var("SWITCHBOARD_TEST_CHECKIN_KEY");
}

#[test]
fn enabled_false_turns_a_section_off() {
    let specs = specs();
    let config =
        Config::from_text("config.ini", "[Connector.console.main]\nenabled = false\n").unwrap();
    assert!(!config.view("Connector.console.main", &specs[1]).enabled());
    assert!(config.view("Connector.console.other", &specs[1]).enabled());
}

#[test]
fn declared_keys_are_validated_as_their_type_reads_them_every_one_at_once() {
    let text = "[Bot]\nmention_prefix = maybe\ntimezone = Mars/Olympus\n";
    let config = Config::from_text("config.ini", text).unwrap();
    let errors = messages(&config.validate(&core::core_sections()));
    assert_eq!(
        errors,
        vec![
            "config.ini:2: [Bot] mention_prefix: expected true or false, found `maybe`",
            "config.ini:3: [Bot] timezone: `Mars/Olympus` is not an IANA time zone name (e.g. `Europe/Berlin`, `America/Denver`, `UTC`)",
        ]
    );
}

#[test]
fn values_that_look_like_they_end_in_a_comment_are_warned_about() {
    let config = Config::from_text(
        "config.ini",
        "[Plugin.hello]\ngreeting = Howdy     ; a key\nport = 8081 # serve here\n\
         motto = a;b#c\ntopic = C# and F#\nempty =\n",
    )
    .unwrap();
    let warnings: Vec<String> = config
        .inline_comment_warnings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with(
        "config.ini:2: [Plugin.hello] greeting: the value looks like it ends in a comment"
    ));
    assert!(
        warnings[0].ends_with("write `greeting = Howdy`"),
        "{}",
        warnings[0]
    );
    assert!(warnings[1].starts_with("config.ini:3: [Plugin.hello] port:"));
}
