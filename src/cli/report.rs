//! How `ecstpl` reports: exit codes, errors on stderr, progress (one updating line on a
//! terminal, plain lines otherwise), JSON results, and a summary for GitHub Actions.

use std::io::{IsTerminal, Write};

pub use crate::rollout::{ExitCode, Signal};

/// Waits for SIGINT or SIGTERM (CI runners send SIGTERM on cancel).
pub(crate) async fn termination() -> Signal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => tokio::select! {
                _ = interrupt.recv() => Signal::Interrupt,
                _ = terminate.recv() => Signal::Terminate,
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

/// What a command did so far that outlives it (a registration, a deployment started), so an
/// interrupted or timed-out command can say what it left, and take back a registration that
/// nothing uses yet.
#[derive(Default)]
struct Journal {
    steps: Vec<String>,
    /// A revision this command registered that no service or task uses yet.
    unused_registration: Option<String>,
}

static JOURNAL: std::sync::Mutex<Journal> = std::sync::Mutex::new(Journal {
    steps: Vec::new(),
    unused_registration: None,
});

/// Records a step that outlives the command.
pub(crate) fn did(step: impl Into<String>) {
    if let Ok(mut journal) = JOURNAL.lock() {
        journal.steps.push(step.into());
    }
}

/// Records a registration nothing uses yet (taken back if the command is stopped now).
pub(crate) fn registered(arn: &str, step: impl Into<String>) {
    if let Ok(mut journal) = JOURNAL.lock() {
        journal.steps.push(step.into());
        journal.unused_registration = Some(arn.to_string());
    }
}

/// The registration is in use now (a service points at it, a task runs it).
pub(crate) fn in_use(step: impl Into<String>) {
    if let Ok(mut journal) = JOURNAL.lock() {
        journal.steps.push(step.into());
        journal.unused_registration = None;
    }
}

/// The registration nothing uses, if the command was stopped between registering and using it.
pub(crate) fn unused_registration() -> Option<String> {
    JOURNAL
        .lock()
        .ok()
        .and_then(|j| j.unused_registration.clone())
}

/// Prints what the command leaves behind after it was stopped.
pub(crate) fn left_behind(why: &str) {
    let steps = JOURNAL.lock().map(|j| j.steps.clone()).unwrap_or_default();
    if steps.is_empty() {
        eprintln!("ecstpl: {why} before changing anything");
    } else {
        eprintln!("ecstpl: {why}; done so far: {}", steps.join("; "));
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

/// The CLI's observer of a rollout: progress on stderr, and the journal of what outlives the
/// command (a registration nothing uses yet is taken back on SIGINT/SIGTERM).
impl crate::rollout::Observer for Progress {
    fn line(&mut self, line: &str) {
        self.note(line);
    }
    fn progress(&mut self, line: &str) {
        self.update(line);
    }
    fn finish_progress(&mut self) {
        self.finish();
    }
    fn registered(&mut self, revision: &crate::aws::Revision) {
        registered(
            revision.arn(),
            format!("registered {}", revision.family_revision()),
        );
    }
    fn service_updated(&mut self, service: &str, revision: &crate::aws::Revision) {
        in_use(format!(
            "service {service} set to {}: the deployment goes on in ECS (follow it with ecstpl status)",
            revision.family_revision()
        ));
    }
    fn resume_hint(&self, target: &crate::rollout::Target) -> Option<String> {
        Some(format!(
            "continue with `ecstpl continue --cluster {} --service {}` (add --rollback to roll back)",
            target.cluster, target.service
        ))
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
