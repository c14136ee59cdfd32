//! `switchboard`: the command line. It composes the runtime, the built-in plugins and the
//! subcommands they register; everything it runs lives in those crates.

mod cli;

use cli::logging::say;
use std::process::ExitCode;

// Sinks allocate a little per request on every core; mimalloc's per-thread heaps are
// measurably cheaper than glibc's arenas there (see benches/sink_load.rs). Built with `no_thp`:
// on a kernel with transparent huge pages `always`, its arenas otherwise took about 10 MB of
// huge pages in a bot that needs a few (benches/console_footprint.py).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            say!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(cli::main());
    // The console reader thread may be blocked on stdin; don't wait for it.
    runtime.shutdown_background();
    code
}
