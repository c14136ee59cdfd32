//! docs/local-plugins.md against the binary: the page's example transcript.

mod support;

use support::drop_in::{drop_exec_example, drop_native, plugins};
use support::local::hello_c;
use support::{stderr, stdout_lines, Scratch};

/// docs/local-plugins.md, "Try the examples": the three examples dropped in as the page says,
/// then the page's `switchboard plugins` and `switchboard console` transcript against the binary.
#[test]
fn the_pages_example_transcript_is_what_the_binary_prints() {
    let page = support::docs::page("docs/local-plugins.md");
    let transcript = support::docs::fenced_blocks(&page, "text")
        .into_iter()
        .find(|block| block.starts_with("$ switchboard plugins\n"))
        .expect("the page shows `switchboard plugins`");
    let (listing, session) = transcript
        .split_once("$ switchboard console\n")
        .expect("then `switchboard console`");

    let scratch = Scratch::new();
    drop_native(&scratch, "hello-native");
    hello_c(&plugins(&scratch).join("libhello_c.so"), None);
    drop_exec_example(&scratch);

    let output = scratch.run(&["plugins"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout_lines(&output);
    let mut shown = listing.lines().skip(1); // `$ switchboard plugins`
    assert_eq!(
        shown.next(),
        printed.first().map(String::as_str),
        "the header"
    );
    assert_eq!(shown.next(), Some("..."), "the built-ins are elided");
    let local: Vec<&str> = shown.collect();
    let last: Vec<&str> = printed[printed.len() - local.len()..]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(local, last, "the local plugins, as listed");

    // The console part: what is typed, and the answer (dice are random: the form is checked).
    let lines: Vec<&str> = session.lines().collect();
    let typed: String = lines
        .iter()
        .step_by(2)
        .map(|line| format!("{line}\n"))
        .collect();
    let output = scratch.run(&["console"], typed.as_bytes());
    assert!(output.status.success(), "{}", stderr(&output));
    let answers = stdout_lines(&output);
    let expected: Vec<&str> = lines.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(answers.len(), expected.len(), "{answers:?}");
    for (answer, shown) in answers.iter().zip(expected) {
        if let Some(roll) = shown.strip_prefix("[@console] 2d6: ") {
            let total = |text: &str| -> Option<(u32, u32, u32)> {
                let (dice, sum) = text.split_once(" = ")?;
                let (a, b) = dice.split_once(" + ")?;
                Some((a.parse().ok()?, b.parse().ok()?, sum.parse().ok()?))
            };
            assert!(
                total(roll).is_some(),
                "the page's roll reads as a roll: {roll}"
            );
            let got = answer.strip_prefix("[@console] 2d6: ").and_then(total);
            assert!(
                got.is_some_and(|(a, b, sum)| (1..=6).contains(&a)
                    && (1..=6).contains(&b)
                    && a + b == sum),
                "{answer}"
            );
        } else {
            assert_eq!(answer, shown);
        }
    }
}
