//! `switchboard check-config` and `switchboard plugins` on good and broken files.

mod support;

use support::docs::{fenced_blocks, page};
use support::{stderr, stdout_lines, Scratch};

#[test]
fn the_shipped_example_config_is_valid() {
    let scratch = Scratch::new();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/config.ini.example");
    let output = scratch.run(&["check-config", "--config", example], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("config OK"));
}

#[test]
fn no_config_at_all_checks_the_built_in_defaults() {
    let scratch = Scratch::new();
    let output = scratch.run(&["check-config"], b"");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "config OK (built-in defaults): 13 plugins, 9 commands, 1 connectors, 0 services, 0 sinks"
    );
}

#[test]
fn every_error_is_listed_with_file_line_and_key_and_nothing_starts() {
    let scratch = Scratch::new();
    let path = scratch.write(
        "config.ini",
        "[Bot]\nprefx = ?\ncommand_timeout = soon\n[Connector.console.main]\nrate_limit = fast\n[Weather]\n[Command.pnig]\nstray line\n",
    );
    let output = scratch.run(&["check-config", "--config", path.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let file = path.display().to_string();
    // A syntax error stops at parsing: the line that is not `key = value` is named.
    assert!(
        err.contains(&format!(
            "{file}:8: expected `key = value` or a `[Section]` header, found `stray line`"
        )),
        "{err}"
    );

    let path = scratch.write(
        "config.ini",
        "[Bot]\nprefx = ?\ncommand_timeout = soon\n[Connector.console.main]\nrate_limit = fast\n[Weather]\n[Command.pnig]\n",
    );
    let output = scratch.run(&["check-config", "--config", path.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    for expected in [
        format!("error: {file}:2: [Bot] prefx: unknown key; did you mean `prefix`?"),
        format!("error: {file}:3: [Bot] command_timeout: expected a duration"),
        format!("error: {file}:5: [Connector.console.main] rate_limit: expected a number, found `fast`"),
        format!("error: {file}:6: [Weather]: unknown section"),
        format!("error: {file}:7: [Command.pnig]: no command is named `pnig`; did you mean [Command.ping]?"),
    ] {
        assert!(err.contains(&expected), "missing {expected:?} in:\n{err}");
    }
    assert!(err.contains("error(s); nothing was started"), "{err}");
}

#[test]
fn a_missing_or_unreadable_file_is_an_error_naming_it() {
    let scratch = Scratch::new();
    let output = scratch.run(&["check-config", "--config", "nope.ini"], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("nope.ini:0: cannot read the file"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn run_and_console_refuse_to_start_on_a_broken_config() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Bot]\nmention_prefix = perhaps\n");
    for sub in ["run", "console"] {
        let output = scratch.run(&[sub], b"!ping\n");
        assert_eq!(output.status.code(), Some(1), "{sub}");
        assert!(output.stdout.is_empty());
        assert!(stderr(&output).contains(
            "config.ini:2: [Bot] mention_prefix: expected true or false, found `perhaps`"
        ));
    }
}

#[test]
fn local_config_is_merged_on_top() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Bot]\nprefix = ?\n");
    scratch.write("local/config.ini", "[Bot]\nprefix = %\n");
    let output = scratch.run(&["console"], b"#g a: %ping\n#g a: ?ping\n");
    assert_eq!(support::stdout_lines(&output), vec!["[#g] pong"]);
}

#[test]
fn plugins_lists_every_plugin_as_a_table_and_as_json() {
    let scratch = Scratch::new();
    let output = scratch.run(&["plugins"], b"");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.lines().next().unwrap().starts_with("NAME"));
    assert!(table
        .lines()
        .any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["ping", "command", "built-in", "active"]));
    let output = scratch.run(&["plugins", "--json"], b"");
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let console = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "console")
        .expect("console listed");
    assert_eq!(console["kind"], "connector");
    assert_eq!(console["state"], "active");
}

#[test]
fn every_subcommand_has_help() {
    let scratch = Scratch::new();
    for sub in ["run", "console", "check-config", "plugins"] {
        let output = scratch.run(&[sub, "--help"], b"");
        assert!(output.status.success(), "{sub}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("--config"),
            "{sub}"
        );
    }
    let output = scratch.run(&["--version"], b"");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("switchboard {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_checkin_pages_config_blocks_pass_check_config_when_pasted() {
    // Every `ini` block that configures the bot (not the systemd unit), as written.
    let blocks: Vec<String> = fenced_blocks(&page("docs/checkin.md"), "ini")
        .into_iter()
        .filter(|block| !block.contains("[Unit]"))
        .collect();
    assert!(!blocks.is_empty(), "docs/checkin.md has config blocks");
    for block in blocks {
        let scratch = Scratch::new();
        let path = scratch.write("config.ini", &block);
        let output = scratch
            .command(&["check-config", "--config", path.to_str().unwrap()])
            .env_remove("CHECKIN_API_KEY")
            .output()
            .expect("check-config runs");
        assert!(
            output.status.success(),
            "{block}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn a_value_that_looks_like_it_ends_in_a_comment_is_warned_about() {
    let scratch = Scratch::new();
    let path = scratch.write("config.ini", "[Bot]\nname = Switchy   ; the bot's name\n");
    let output = scratch.run(&["check-config", "--config", path.to_str().unwrap()], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    let warning = stderr(&output)
        .lines()
        .find(|line| line.starts_with("warning: "))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        warning.contains("config.ini:2: [Bot] name: the value looks like it ends in a comment")
            && warning.contains("write `name = Switchy`"),
        "{}",
        stderr(&output)
    );
}

/// The `text` block of `page` that starts with `first`, as lines.
fn shown_output(page_name: &str, first: &str) -> Vec<String> {
    fenced_blocks(&page(page_name), "text")
        .into_iter()
        .find(|block| block.starts_with(first))
        .unwrap_or_else(|| panic!("{page_name} shows output starting {first:?}"))
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_configuration_pages_error_example_is_what_check_config_prints() {
    let scratch = Scratch::new();
    let config = fenced_blocks(&page("docs/configuration.md"), "ini")
        .into_iter()
        .find(|block| block.contains("[Weather]"))
        .expect("the page shows the broken config");
    scratch.write("config.ini", &config);
    let output = scratch.run(&["check-config"], b"");
    assert_eq!(output.status.code(), Some(1));
    let printed: Vec<String> = stderr(&output).lines().map(str::to_owned).collect();
    assert_eq!(
        printed,
        shown_output("docs/configuration.md", "error: config.ini:2:")
    );
}

#[test]
fn the_configuration_pages_ok_line_is_what_check_config_prints() {
    let scratch = Scratch::new();
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.ini.example"))
            .expect("example");
    scratch.write("config.ini", &example);
    std::fs::create_dir_all(scratch.path().join("local")).expect("local");
    scratch.write("local/config.ini", "[Bot]\nname = switchy\n");
    let output = scratch.run(&["check-config"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        shown_output("docs/configuration.md", "config OK (config.ini + ")
    );
}

#[test]
fn the_cli_pages_plugin_list_is_what_plugins_prints() {
    let scratch = Scratch::new();
    let output = scratch.run(&["plugins"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        shown_output("docs/cli.md", "NAME              KIND")
    );
}
