//! How `ecstpl` reports: exit codes, errors on stderr, progress (one updating line on a
//! terminal, plain lines otherwise), JSON results, and a summary for GitHub Actions.

use std::io::{IsTerminal, Write};

/// The documented exit codes (see `ecstpl --help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Success,
    BadInput,
    Aws,
    RolloutFailed,
    Timeout,
    /// `ecstpl run`: the exit code of the task's container.
    Task(u8),
}

impl ExitCode {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::BadInput => 2,
            ExitCode::Aws => 3,
            ExitCode::RolloutFailed => 4,
            ExitCode::Timeout => 5,
            ExitCode::Task(code) => code,
        }
    }
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

    /// A line that stays (a pause, say), printed above the updating line.
    pub(crate) fn note(&mut self, line: &str) {
        let mut stderr = std::io::stderr().lock();
        if self.tty {
            let _ = write!(stderr, "\r\x1b[2K{line}\n{}", self.last);
        } else {
            let _ = writeln!(stderr, "{line}");
        }
        let _ = stderr.flush();
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
