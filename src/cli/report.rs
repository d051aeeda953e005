//! How `ecstpl` reports: exit codes, errors on stderr, progress (one updating line on a
//! terminal, plain lines otherwise), JSON results, and a summary for GitHub Actions.

use std::io::{IsTerminal, Write};

/// The documented exit codes (see `ecstpl --help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    BadInput = 2,
    Aws = 3,
    RolloutFailed = 4,
    Timeout = 5,
}

/// Prints an error and returns its exit code.
pub(crate) fn fail(code: ExitCode, message: &str) -> ExitCode {
    eprintln!("ecstpl: error: {message}");
    code
}

/// Progress lines while waiting: rewritten in place on a terminal, one per change otherwise.
pub(crate) struct Progress {
    tty: bool,
    last: String,
}

impl Progress {
    pub(crate) fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            last: String::new(),
        }
    }

    pub(crate) fn update(&mut self, line: &str) {
        if line == self.last {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        if self.tty {
            let _ = write!(stderr, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(stderr, "{line}");
        }
        let _ = stderr.flush();
        self.last = line.to_string();
    }

    pub(crate) fn finish(&mut self) {
        if self.tty && !self.last.is_empty() {
            eprintln!();
        }
    }
}

/// Appends markdown to `$GITHUB_STEP_SUMMARY` when it is set (GitHub Actions).
pub(crate) fn step_summary(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return;
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path);
    match file {
        Ok(mut file) => {
            let _ = writeln!(file, "{markdown}");
        }
        Err(err) => eprintln!("ecstpl: warning: could not write the step summary: {err}"),
    }
}
