//! The documentation's own code blocks, so tests run what the docs tell a reader to run.

use std::path::PathBuf;

/// The text of `docs/NAME` (or any file, relative to the repository).
pub fn page(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Every fenced block of `page` whose info string is `lang` (`ini`, `sh`, `text`...), as written.
pub fn fenced_blocks(page: &str, lang: &str) -> Vec<String> {
    let opening = format!("```{lang}");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        match (&mut current, line.trim()) {
            (None, fence) if fence == opening => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The one fenced `lang` block of `page` that starts with `first_line`.
pub fn block_starting(page: &str, lang: &str, first_line: &str) -> String {
    let found: Vec<String> = fenced_blocks(page, lang)
        .into_iter()
        .filter(|block| block.lines().next() == Some(first_line))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one ```{lang} block starting with {first_line:?}"
    );
    found.into_iter().next().unwrap_or_default()
}
