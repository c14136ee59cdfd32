//! Helpers shared by the fuzz targets in `fuzz_targets/`.

use std::cell::RefCell;

/// Whether `text` holds no control character but tab: what may be printed on one line of a
/// terminal or a line-based chat without forging another line or moving the cursor.
pub fn is_one_printable_line(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && c != '\t')
}

/// `input` split as a line reader must split it: on `\n`, a last piece without one counting
/// when it is not empty.
pub fn model_lines(input: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    lines
}

thread_local! {
    static RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
}

/// Runs `f` inside a (current-thread) Tokio runtime's context, as the bot's code runs, built
/// once per thread.
pub fn in_runtime<T>(f: impl FnOnce() -> T) -> T {
    RUNTIME.with(|cell| {
        let mut runtime = cell.borrow_mut();
        let runtime = runtime.get_or_insert_with(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime")
        });
        let _context = runtime.enter();
        f()
    })
}

/// Polls `future` to completion on this thread (for readers over in-memory bytes, which never
/// wait).
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}
