//! docs/install.md: the shipped systemd unit, and the layout the page sets up, run as the unit
//! runs it (its `ExecStart`, no standard input, `SIGHUP` to reload, `SIGTERM` to stop).

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::docs::{block_starting, fenced_blocks, page};
use support::{wait_for, Scratch, BIN};

const UNIT: &str = "contrib/systemd/switchboard.service";

#[test]
fn the_page_shows_the_shipped_unit_as_it_is() {
    let shipped = page(UNIT);
    let shown = block_starting(
        &page("docs/install.md"),
        "ini",
        "# Switchboard under systemd: see docs/install.md.",
    );
    assert_eq!(shown, shipped, "docs/install.md shows {UNIT} word for word");
}

/// The value of `key=` in the unit.
fn unit_value(unit: &str, key: &str) -> String {
    unit.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{UNIT} has {key}="))
        .to_owned()
}

fn log_has(log: &Path, text: &str) -> bool {
    std::fs::read_to_string(log).is_ok_and(|log| log.contains(text))
}

#[test]
fn the_installed_layout_runs_as_the_unit_runs_it_and_reloads_and_stops_on_signals() {
    let scratch = Scratch::new();
    let etc = scratch.path().join("etc/switchboard");
    let state = scratch.path().join("var/lib/switchboard");
    std::fs::create_dir_all(etc.join("local")).expect("etc");
    std::fs::create_dir_all(&state).expect("state directory");
    let relocate = |text: &str| {
        text.replace("/etc/switchboard", &etc.display().to_string())
            .replace("/var/lib/switchboard", &state.display().to_string())
    };

    // `install ... config.ini.example /etc/switchboard/config.ini`, then the page's local file.
    std::fs::copy(page_path("config.ini.example"), etc.join("config.ini")).expect("copy");
    let local = block_starting(
        &page("docs/install.md"),
        "ini",
        "# /etc/switchboard/local/config.ini",
    );
    std::fs::write(etc.join("local/config.ini"), relocate(&local)).expect("local config");

    // The page's check-config line.
    let check = fenced_blocks(&page("docs/install.md"), "sh")
        .iter()
        .flat_map(|block| block.lines().map(str::to_owned).collect::<Vec<_>>())
        .find_map(|line| {
            line.strip_prefix("sudo -u switchboard switchboard ")
                .map(str::to_owned)
        })
        .expect("the page checks the config as the service user");
    let output = Command::new(BIN)
        .args(relocate(&check).split_whitespace())
        .output()
        .expect("check-config");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The unit's ExecStart, in its WorkingDirectory, with standard input from /dev/null.
    let unit = page(UNIT);
    let exec_start = relocate(&unit_value(&unit, "ExecStart"));
    let mut words = exec_start.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/switchboard"));
    assert_eq!(
        relocate(&unit_value(&unit, "WorkingDirectory")),
        state.display().to_string()
    );
    let log = scratch.path().join("journal.log");
    let mut bot = Command::new(BIN)
        .args(words)
        .current_dir(&state)
        .env_remove("SWITCHBOARD_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start the bot");
    wait_for("the bot to be ready", || log_has(&log, "switchboard ready"));

    let signal = |name: &str| {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(bot.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    };
    signal("HUP"); // ExecReload
    wait_for("the reload", || log_has(&log, "SIGHUP: config reloaded"));
    signal("TERM"); // systemctl stop
    wait_for("the bot to stop", || {
        bot.try_wait().expect("wait").is_some()
    });

    let status = bot.wait().expect("status");
    let journal = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "{journal}");
    assert!(
        state.join("switchboard.db").exists(),
        "the database is in the state directory:\n{journal}"
    );
    assert!(
        !journal.contains("console input ended"),
        "the console connector is off under systemd:\n{journal}"
    );
}

fn page_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}
