//! How `ecstpl` reports: exit codes, errors on stderr, progress (one updating line on a
//! terminal, plain lines otherwise), JSON results, and a summary for GitHub Actions.

use std::io::{IsTerminal, Write};

/// The documented exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Success,
    /// `--exit-code`: the comparison found differences (as `git diff --exit-code`).
    Differs,
    BadInput,
    Aws,
    RolloutFailed,
    Timeout,
    /// `ecstpl run`: the exit code of the task's container.
    Task(u8),
    /// Stopped by a signal (SIGINT, SIGTERM): 128 + its number, as shells report it.
    Interrupted(Signal),
}

/// The signals that stop a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        })
    }
}

impl ExitCode {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Differs => 1,
            ExitCode::BadInput => 2,
            ExitCode::Aws => 3,
            ExitCode::RolloutFailed => 4,
            ExitCode::Timeout => 5,
            ExitCode::Task(code) => code,
            ExitCode::Interrupted(Signal::Interrupt) => 130,
            ExitCode::Interrupted(Signal::Terminate) => 143,
        }
    }
}

impl From<crate::rollout::Verdict> for ExitCode {
    fn from(verdict: crate::rollout::Verdict) -> Self {
        use crate::rollout::Verdict;
        match verdict {
            Verdict::Success => ExitCode::Success,
            Verdict::Refused => ExitCode::BadInput,
            Verdict::AwsError => ExitCode::Aws,
            Verdict::RolloutFailed => ExitCode::RolloutFailed,
            Verdict::TimedOut => ExitCode::Timeout,
        }
    }
}

/// A failure with its exit code.
pub(crate) struct Failure(pub(crate) ExitCode, pub(crate) String);

impl From<crate::aws::AwsError> for Failure {
    fn from(err: crate::aws::AwsError) -> Self {
        Failure(ExitCode::Aws, err.to_string())
    }
}

/// A rollout's refusal in the command line's words: what to set is a flag.
impl From<crate::rollout::RolloutError> for Failure {
    fn from(err: crate::rollout::RolloutError) -> Self {
        use crate::rollout::{RolloutError, Setting};
        let code = ExitCode::from(err.verdict());
        let flag = match &err {
            RolloutError::Refused {
                setting: Some(Setting::Template),
                ..
            } => " (--template)",
            RolloutError::Refused {
                setting: Some(Setting::Family),
                ..
            } => " (--family)",
            _ => "",
        };
        Failure(code, format!("{err}{flag}"))
    }
}

pub(crate) fn bad(message: impl Into<String>) -> Failure {
    Failure(ExitCode::BadInput, message.into())
}

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
    /// Revisions this command registered that no service or task uses yet.
    /// With the client of its account and Region where that is not the command's own (a
    /// fleet's target).
    unused: Vec<(String, Option<crate::aws::Ecs>)>,
}

static JOURNAL: std::sync::Mutex<Journal> = std::sync::Mutex::new(Journal {
    steps: Vec::new(),
    unused: Vec::new(),
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
        journal.unused.push((arn.to_string(), None));
    }
}

/// The registration `arn` is in use now (a service points at it, a task runs it).
pub(crate) fn in_use(arn: &str, step: impl Into<String>) {
    if let Ok(mut journal) = JOURNAL.lock() {
        journal.steps.push(step.into());
        journal.unused.retain(|(unused, _)| unused != arn);
    }
}

/// The registrations nothing uses, if the command was stopped between registering and using
/// them.
/// As [`registered`], in the account and Region of `ecs` (taken back through it).
pub(crate) fn registered_in(ecs: &crate::aws::Ecs, arn: &str, step: impl Into<String>) {
    if let Ok(mut journal) = JOURNAL.lock() {
        journal.steps.push(step.into());
        journal.unused.push((arn.to_string(), Some(ecs.clone())));
    }
}

pub(crate) fn unused_registrations() -> Vec<(String, Option<crate::aws::Ecs>)> {
    JOURNAL.lock().map(|j| j.unused.clone()).unwrap_or_default()
}

/// Prints what the command leaves behind after it was stopped.
pub(crate) fn left_behind(why: &str) {
    let steps = JOURNAL.lock().map(|j| j.steps.clone()).unwrap_or_default();
    if steps.is_empty() {
        err(format!("ecstpl: {why} before changing anything"));
    } else {
        err(format!("ecstpl: {why}; done so far: {}", steps.join("; ")));
    }
}

/// Results go out as JSON (`--output json`): then an error is a JSON result too.
static JSON_OUTPUT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub(crate) fn set_json_output(json: bool) {
    JSON_OUTPUT.store(json, std::sync::atomic::Ordering::Relaxed);
}

fn json_output() -> bool {
    JSON_OUTPUT.load(std::sync::atomic::Ordering::Relaxed)
}

/// A line on stdout. A reader that went away (`ecstpl … | head -1`) is no error: the command
/// goes on to its end and exits with its own code.
pub(crate) fn out(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Text on stdout as it is (no newline added); see [`out`].
pub(crate) fn out_text(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Where log lines go while a live display owns the bottom of the terminal (a fleet's
/// table): it prints them above itself.
type LogSink = Box<dyn Fn(&str) + Send>;
static LOG_SINK: std::sync::Mutex<Option<LogSink>> = std::sync::Mutex::new(None);

/// Log lines go to `sink` from now on (None: straight to stderr again).
pub(crate) fn set_log_sink(sink: Option<LogSink>) {
    if let Ok(mut current) = LOG_SINK.lock() {
        *current = sink;
    }
}

/// A log line on stderr (above a live display, if one is on).
pub(crate) fn log_line(line: &str) {
    if let Ok(sink) = LOG_SINK.lock()
        && let Some(sink) = sink.as_ref()
    {
        sink(line);
        return;
    }
    err(line);
}

/// A line on stderr; see [`out`].
pub(crate) fn err(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Reports an error that ended the command before it had a result, and returns its exit code:
/// one line on stderr, and with `--output json` the failed result on stdout.
pub(crate) fn fail(code: ExitCode, message: &str) -> ExitCode {
    if json_output() {
        out(serde_json::json!({"result": "failed", "exit_code": code.code(), "message": message}));
    }
    err(format!("ecstpl: error: {message}"));
    code
}

/// Reports a command's result, once: with `--output json` the JSON on stdout (and a failure's
/// message on stderr as well, for the log); as text, the message on stdout when it succeeded,
/// else on stderr as the error, followed by why (`why`: a line each, from ECS).
pub(crate) fn result(
    output: crate::cli::Output,
    result: &serde_json::Value,
    code: ExitCode,
    why: &[String],
) {
    let message = result["message"].as_str().unwrap_or_default();
    if output == crate::cli::Output::Json {
        out(result);
    } else if code == ExitCode::Success {
        out(message);
    }
    if code != ExitCode::Success && code != ExitCode::Differs {
        err(format!("ecstpl: error: {message}"));
        for line in why {
            err(format!("  {line}"));
        }
    }
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
            err("");
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
    fn warning(&mut self, line: &str) {
        self.note(&format!("ecstpl: warning: {line}"));
    }
    fn registered(&mut self, revision: &crate::aws::Revision) {
        registered(
            revision.arn(),
            format!("registered {}", revision.family_revision()),
        );
    }
    fn service_updated(&mut self, service: &str, revision: &crate::aws::Revision) {
        in_use(
            revision.arn(),
            format!(
                "service {service} set to {}: the deployment goes on in ECS (follow it with ecstpl status)",
                revision.family_revision()
            ),
        );
    }
    fn resume_hint(
        &self,
        target: &crate::rollout::Target,
        _deployment: &str,
        _hook: &str,
    ) -> Option<String> {
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
        Err(problem) => err(format!(
            "ecstpl: warning: could not write the step summary: {problem}"
        )),
    }
}
