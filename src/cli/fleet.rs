//! `--fleet FILE`: `deploy`, `rollback`, `status` and `diff` over every service of a fleet
//! file, wave after wave. The waves run in [`crate::rollout::fleet`]; this module makes the
//! clients (one per account and Region), turns the file and the flags into targets, and
//! reports: a line per target event as it happens, then a table (text), the same per target
//! (`--output json`) and the table in `$GITHUB_STEP_SUMMARY`.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::aws::{self, Ecs, Settings};
use crate::cli::fleet_file::{self, FleetFile, TargetSpec};
use crate::cli::report::{self, ExitCode, Failure, err, out};
use crate::cli::{DeployArgs, DiffArgs, OnFailure, Output, RollbackArgs, StatusArgs, WaitArgs};
use crate::rollout::fleet::{self, Action, FleetTarget, Report, Wave};
use crate::rollout::{Observer, RenderInput, RolloutError, Target, Verdict, Wait};

/// How long concurrent reads are gathered before one call answers them all.
const GATHER_WINDOW: Duration = Duration::from_millis(100);

/// Region, profile and role of a client.
type Place = (Option<String>, Option<String>, Option<String>);

/// The clients of a fleet command: one per Region and caller, shared by its targets.
struct Clients<'a> {
    base: &'a Settings,
    made: HashMap<Place, Ecs>,
}

impl<'a> Clients<'a> {
    fn new(base: &'a Settings) -> Self {
        Clients {
            base,
            made: HashMap::new(),
        }
    }

    async fn client(&mut self, spec: &TargetSpec) -> Result<Ecs, String> {
        let key = (
            spec.region.clone(),
            spec.profile.clone(),
            spec.role_arn.clone(),
        );
        if let Some(ecs) = self.made.get(&key) {
            return Ok(ecs.clone());
        }
        let mut settings = self.base.clone();
        if spec.region.is_some() {
            settings.region = spec.region.clone();
        }
        if spec.profile.is_some() {
            settings.profile = spec.profile.clone();
        }
        if let Some(role_arn) = &spec.role_arn {
            // Assumed with the command's own credentials (its --profile, or the environment).
            settings.assume_role = Some(aws::AssumeRole {
                role_arn: role_arn.clone(),
                session_name: Some("ecstpl-fleet".into()),
                external_id: None,
                duration: None,
            });
        }
        let ecs = Ecs::connect(&settings)
            .await
            .map_err(|problem| format!("line {}: {problem}", spec.line))?
            .with_batched_reads(GATHER_WINDOW);
        self.made.insert(key, ecs.clone());
        Ok(ecs)
    }
}

/// `region/cluster/service`, with the profile or the role's account when the target has one.
fn label(spec: &TargetSpec, base: &Settings) -> String {
    let region = spec
        .region
        .clone()
        .or_else(|| base.region.clone())
        .unwrap_or_else(|| "-".into());
    let caller = match (&spec.profile, &spec.role_arn) {
        (_, Some(role)) => role
            .split(':')
            .nth(4)
            .map(|account| format!("@{account}"))
            .unwrap_or_default(),
        (Some(profile), None) => format!("@{profile}"),
        (None, None) => String::new(),
    };
    format!("{region}/{}/{}{caller}", spec.cluster, spec.service)
}

fn wait_of(spec: &TargetSpec, flags: &WaitArgs) -> Option<Wait> {
    (!flags.no_wait).then(|| Wait {
        until: spec.wait_until.unwrap_or(flags.wait_until),
        timeout: spec.timeout.unwrap_or(flags.timeout),
        poll_interval: spec.poll_interval.unwrap_or(flags.poll_interval),
    })
}

/// The fleet file, read and checked before any call.
pub(crate) fn load(path: &Path) -> Result<FleetFile, Failure> {
    fleet_file::load(path).map_err(report::bad)
}

/// How long ECS calls of a fleet command may wait for ECS's rates: every wave's longest wait.
pub(crate) fn rate_budget(file: &FleetFile, flags: &WaitArgs) -> Duration {
    file.waves
        .iter()
        .map(|wave| {
            wave.targets
                .iter()
                .map(|t| t.timeout.unwrap_or(flags.timeout))
                .max()
                .unwrap_or(flags.timeout)
        })
        .sum::<Duration>()
        .max(aws::DEFAULT_OPERATION_DEADLINE)
}

/// Where a fleet's events go on stderr: on a terminal, a table with a row per target that
/// started, each showing its latest state, kept below the lines that stay; otherwise plain
/// lines, each prefixed with its target.
struct Board {
    tty: bool,
    rows: Vec<(String, String)>,
    /// Rows of the table on screen now.
    drawn: usize,
}

/// The width rows are cut to when the terminal does not say.
const ROW_WIDTH: usize = 80;

impl Board {
    fn new() -> Board {
        Board {
            tty: std::io::stderr().is_terminal(),
            rows: Vec::new(),
            drawn: 0,
        }
    }

    /// A line that stays (printed above the table on a terminal).
    fn line(&mut self, text: &str) {
        if self.tty {
            self.erase();
            err(text);
            self.draw();
        } else {
            err(text);
        }
    }

    /// The target's latest state; on a terminal, only its row changes. `plain`: said as a
    /// line where there is no table.
    fn state(&mut self, label: &str, state: &str, plain: bool) {
        match self.rows.iter_mut().find(|(l, _)| l == label) {
            Some(row) if row.1 == state => return,
            Some(row) => row.1 = state.to_string(),
            None => self.rows.push((label.to_string(), state.to_string())),
        }
        if self.tty {
            self.erase();
            self.draw();
        } else if plain {
            err(format!("[{label}] {state}"));
        }
    }

    fn erase(&mut self) {
        if self.drawn > 0 {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\x1b[{}A\x1b[J", self.drawn);
            let _ = stderr.flush();
        }
        self.drawn = 0;
    }

    fn draw(&mut self) {
        let width = self
            .rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        // A row longer than the screen would wrap, and the table could not be redrawn in place.
        let columns = terminal_size::terminal_size_of(std::io::stderr())
            .map_or(ROW_WIDTH, |(columns, _)| usize::from(columns.0));
        let mut stderr = std::io::stderr().lock();
        for (label, state) in &self.rows {
            let row: String = format!("{label:<width$}  {state}")
                .chars()
                .take(columns.saturating_sub(1).max(1))
                .collect();
            let _ = writeln!(stderr, "{row}");
        }
        let _ = stderr.flush();
        self.drawn = self.rows.len();
    }
}

/// The CLI's observer of one target.
struct TargetLines {
    label: String,
    /// The target's client: a registration nothing uses yet is taken back through it.
    ecs: Ecs,
    board: Arc<Mutex<Board>>,
}

impl TargetLines {
    fn board(&self) -> std::sync::MutexGuard<'_, Board> {
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Observer for TargetLines {
    fn line(&mut self, line: &str) {
        let text = format!("[{}] {line}", self.label);
        let mut board = self.board();
        board.line(&text);
        board.state(&self.label, line, false);
    }
    fn progress(&mut self, line: &str) {
        self.board().state(&self.label, line, true);
    }
    fn warning(&mut self, line: &str) {
        let text = format!("[{}] ecstpl: warning: {line}", self.label);
        self.board().line(&text);
    }
    fn registered(&mut self, revision: &aws::Revision) {
        report::registered_in(
            &self.ecs,
            revision.arn(),
            format!("registered {} ({})", revision.family_revision(), self.label),
        );
    }
    fn service_updated(&mut self, service: &str, revision: &aws::Revision) {
        report::in_use(
            revision.arn(),
            format!(
                "service {service} ({}) set to {}: the deployment goes on in ECS",
                self.label,
                revision.family_revision()
            ),
        );
    }
    fn resume_hint(&self, target: &Target, _deployment: &str, _hook: &str) -> Option<String> {
        // The label starts with the target's Region.
        let region = self.label.split('/').next().unwrap_or_default();
        Some(format!(
            "continue with `ecstpl --region {region} continue --cluster {} --service {}` (add --rollback to roll back)",
            target.cluster, target.service
        ))
    }
}

/// The CLI's observers of a fleet: a wave's lines name where the file has it.
struct Lines {
    waves: HashMap<String, String>,
    board: Arc<Mutex<Board>>,
}

impl Lines {
    fn of(file: &FleetFile) -> Lines {
        let board = Arc::new(Mutex::new(Board::new()));
        let for_logs = Arc::clone(&board);
        // Log lines (failed attempts, waits for ECS's rate) go above the table.
        report::set_log_sink(Some(Box::new(move |line| {
            for_logs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .line(line);
        })));
        Lines {
            waves: file
                .waves
                .iter()
                .map(|w| {
                    (
                        w.name.clone(),
                        format!("{}:{}", file.path.display(), w.line),
                    )
                })
                .collect(),
            board,
        }
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        report::set_log_sink(None);
    }
}

impl fleet::Observers for Lines {
    fn observer(&self, target: &FleetTarget) -> Box<dyn Observer> {
        Box::new(TargetLines {
            label: target.label.clone(),
            ecs: target.ecs.clone(),
            board: Arc::clone(&self.board),
        })
    }
    fn wave(&self, name: &str, line: &str) {
        let text = match self.waves.get(name) {
            Some(place) => format!("== {line} ({place})"),
            None => format!("== {line}"),
        };
        self.board
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .line(&text);
    }
}

/// Builds the waves: a client per account and Region, an action per target.
async fn waves(
    file: &FleetFile,
    base: &Settings,
    flags: &WaitArgs,
    action: impl Fn(&TargetSpec) -> Result<Action, Failure>,
) -> Result<Vec<Wave>, Failure> {
    let mut clients = Clients::new(base);
    let mut waves = Vec::new();
    // The file check compares Regions as written; here a target without one has the
    // command's, and two targets that still name one service would race for it.
    let mut services: HashMap<(String, String, String), usize> = HashMap::new();
    for wave in &file.waves {
        let mut targets = Vec::new();
        for spec in &wave.targets {
            let ecs = clients.client(spec).await.map_err(|problem| {
                crate::cli::report::bad(format!("{}: {problem}", file.path.display()))
            })?;
            let service = (
                ecs.place().to_string(),
                fleet_file::short_name(&spec.cluster).to_string(),
                fleet_file::short_name(&spec.service).to_string(),
            );
            if let Some(first) = services.insert(service, spec.line) {
                return Err(crate::cli::report::bad(format!(
                    "{}:{}: the service {:?} of cluster {:?} is already a target at line {first} (a target without a region is in the command's Region): a fleet lists each service once",
                    file.path.display(),
                    spec.line,
                    spec.service,
                    spec.cluster,
                )));
            }
            targets.push(FleetTarget {
                label: label(spec, base),
                ecs,
                target: Target {
                    cluster: spec.cluster.clone(),
                    service: spec.service.clone(),
                },
                wait: wait_of(spec, flags),
                what: action(spec)?,
            });
        }
        waves.push(Wave {
            name: wave.name.clone(),
            max_parallel: wave.max_parallel,
            targets,
        });
    }
    Ok(waves)
}

fn on_failure(flag: OnFailure) -> fleet::OnFailure {
    match flag {
        OnFailure::Stop => fleet::OnFailure::Stop,
        OnFailure::RollbackWave => fleet::OnFailure::RollbackWave,
    }
}

/// What one target renders: the command's input, with what the file sets for the target
/// (its template, family and overlay) in its place.
fn target_input(
    spec: &TargetSpec,
    input: &RenderInput,
    overlays: &BTreeMap<std::path::PathBuf, Json>,
) -> RenderInput {
    let overlay = match &spec.overlay {
        Some(path) => overlays
            .get(path)
            .map(|o| (format!("overlay {}", path.display()), o.clone())),
        None => input.overlay.clone(),
    };
    RenderInput {
        target: Target {
            cluster: spec.cluster.clone(),
            service: spec.service.clone(),
        },
        template: spec.template.clone().or_else(|| input.template.clone()),
        family: spec.family.clone().or_else(|| input.family.clone()),
        images: input.images.clone(),
        overlay,
        allow_template_images: input.allow_template_images,
    }
}

/// Reads the overlays the file names (each once), before any call.
fn overlays(file: &FleetFile) -> Result<BTreeMap<std::path::PathBuf, Json>, Failure> {
    let mut read = BTreeMap::new();
    for spec in file.waves.iter().flat_map(|w| &w.targets) {
        let Some(path) = &spec.overlay else { continue };
        if read.contains_key(path) {
            continue;
        }
        let where_ = format!(
            "{}:{}: overlay {}",
            file.path.display(),
            spec.line,
            path.display()
        );
        let text = std::fs::read_to_string(path)
            .map_err(|problem| crate::cli::report::bad(format!("{where_}: {problem}")))?;
        let overlay: Json = serde_json::from_str(&text).map_err(|problem| {
            crate::cli::report::bad(format!("{where_}: invalid JSON: {problem}"))
        })?;
        read.insert(path.clone(), overlay);
    }
    Ok(read)
}

pub(crate) async fn deploy(base: &Settings, args: &DeployArgs, file: &FleetFile) -> ExitCode {
    let prepared = async {
        let input = crate::cli::ops::render_input(&args.render, args.allow_template_images)?;
        let overlays = overlays(file)?;
        let waves = waves(file, base, &args.wait, |spec| {
            if let Some(id) = &args.revision {
                return Ok(Action::Revision {
                    id: id.clone(),
                    allow_template: args.allow_template_images,
                });
            }
            Ok(Action::Render(target_input(spec, &input, &overlays)))
        })
        .await?;
        Ok::<_, Failure>(waves)
    }
    .await;
    let waves = match prepared {
        Ok(waves) => waves,
        Err(Failure(code, message)) => return report::fail(code, &message),
    };
    let verification = args.verify.map(|mode| fleet::Verification {
        strict: mode == crate::cli::VerifyMode::Strict,
    });
    let reports = fleet::run(
        waves,
        on_failure(args.on_failure),
        verification,
        &Lines::of(file),
    )
    .await;
    finish("deploy", &reports, args.wait.output)
}

pub(crate) async fn rollback(base: &Settings, args: &RollbackArgs, file: &FleetFile) -> ExitCode {
    let prepared = waves(file, base, &args.wait, |_| Ok(Action::Rollback)).await;
    let waves = match prepared {
        Ok(waves) => waves,
        Err(Failure(code, message)) => return report::fail(code, &message),
    };
    let reports = fleet::run(waves, on_failure(args.on_failure), None, &Lines::of(file)).await;
    finish("rollback", &reports, args.wait.output)
}

fn duration_text(duration: Duration) -> String {
    humantime::format_duration(Duration::from_secs(duration.as_secs())).to_string()
}

fn report_json(report: &Report) -> Json {
    let mut fields = json!({
        "target": report.label,
        "wave": report.wave,
        "cluster": report.target.cluster,
        "service": report.target.service,
        "result": report.result.word(),
        "exit_code": ExitCode::from(report.verdict).code(),
        "message": report.message,
        "task_definition_arn": report.revision.as_ref().map(|r| r.arn().to_string()),
        "revision": report.revision.as_ref().map(aws::Revision::family_revision),
        "previous_task_definition_arn": report.previous.as_ref().map(|r| r.arn().to_string()),
        "template": report.template,
        "registered": report.registered,
        "service_deployment_arn": report.deployment,
        "duration_seconds": report.duration.as_secs_f64(),
    });
    if let (Some(followed), Some(object)) = (&report.followed, fields.as_object_mut())
        && let Json::Object(more) = followed.json()
    {
        for (key, value) in more {
            if !value.is_null() || !object.contains_key(&key) {
                object.insert(key, value);
            }
        }
    }
    fields
}

/// The deployment's id: the last part of its ARN.
fn short_deployment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn table_rows(reports: &[Report]) -> Vec<[String; 6]> {
    reports
        .iter()
        .map(|r| {
            [
                r.label.clone(),
                r.wave.clone(),
                r.revision
                    .as_ref()
                    .map(aws::Revision::family_revision)
                    .unwrap_or_else(|| "-".into()),
                r.deployment
                    .as_deref()
                    .map(short_deployment)
                    .unwrap_or("-")
                    .to_string(),
                r.result.word().to_string(),
                duration_text(r.duration),
            ]
        })
        .collect()
}

const HEADER: [&str; 6] = [
    "TARGET",
    "WAVE",
    "REVISION",
    "DEPLOYMENT",
    "RESULT",
    "DURATION",
];

/// Rows under a header, each column as wide as its widest cell.
fn text_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut text = line(header.to_vec());
    for row in rows {
        text.push('\n');
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

/// Reports the fleet's result and returns its exit code: the worst of its targets.
fn finish(command: &str, reports: &[Report], output: Output) -> ExitCode {
    let code = ExitCode::from(fleet::worst(reports));
    let failed: Vec<&Report> = reports.iter().filter(|r| !r.succeeded()).collect();
    let registered = reports.iter().filter(|r| r.registered).count();
    let counts = {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for r in reports {
            *counts.entry(r.result.word()).or_default() += 1;
        }
        counts
            .iter()
            .map(|(word, n)| format!("{n} {word}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let message = format!(
        "{} target{}: {counts}; {registered} revision{} registered",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" },
        if registered == 1 { "" } else { "s" }
    );
    let outcome = match code {
        ExitCode::Success if command == "rollback" => "rolled back",
        ExitCode::Success => "deployed",
        ExitCode::Timeout => "timed out",
        _ => "failed",
    };
    let rows = table_rows(reports);
    match output {
        Output::Json => out(json!({
            "result": outcome,
            "exit_code": code.code(),
            "message": message,
            "targets": reports.iter().map(report_json).collect::<Vec<_>>(),
        })),
        Output::Text => {
            out(text_table(HEADER, &rows));
            if code == ExitCode::Success {
                out(&message);
            }
        }
    }
    if code != ExitCode::Success {
        err(format!("ecstpl: error: {message}"));
        for r in &failed {
            err(format!("  {}: {}", r.label, r.message));
            if let Some(followed) = &r.followed {
                for line in followed.why_lines() {
                    err(format!("    {line}"));
                }
            }
        }
    }
    let mut markdown = format!(
        "### ecstpl {command} (fleet): {}\n\n| target | wave | revision | deployment | result | duration |\n|---|---|---|---|---|---|\n",
        crate::cli::ops::summary_title(outcome)
    );
    for row in &rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        markdown.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    markdown.push_str(&format!("\n{message}\n"));
    report::step_summary(&markdown);
    code
}

/// One row of `status --fleet`.
struct StatusRow {
    label: String,
    live: String,
    template: String,
    latest: String,
    in_sync: bool,
    drift: usize,
    deployment: String,
    problem: Option<String>,
}

pub(crate) async fn status(base: &Settings, args: &StatusArgs, file: &FleetFile) -> ExitCode {
    let mut clients = Clients::new(base);
    let mut asks = Vec::new();
    for spec in file.waves.iter().flat_map(|w| &w.targets) {
        match clients.client(spec).await {
            Ok(ecs) => asks.push((spec.clone(), ecs)),
            Err(problem) => {
                return report::fail(
                    ExitCode::BadInput,
                    &format!("{}: {problem}", file.path.display()),
                );
            }
        }
    }
    let template_flag = args.template.clone();
    let rows = futures_util::future::join_all(asks.into_iter().map(|(spec, ecs)| {
        let template_flag = template_flag.clone();
        async move {
            let label = label(&spec, base);
            let target = Target {
                cluster: spec.cluster.clone(),
                service: spec.service.clone(),
            };
            let template = spec.template.clone().or(template_flag);
            match status_row(&ecs, &target, template.as_deref()).await {
                Ok(mut row) => {
                    row.label = label;
                    (row, Verdict::Success)
                }
                Err(failure) => (
                    StatusRow {
                        label,
                        live: "-".into(),
                        template: "-".into(),
                        latest: "-".into(),
                        in_sync: false,
                        drift: 0,
                        deployment: "-".into(),
                        problem: Some(failure.to_string()),
                    },
                    failure.verdict(),
                ),
            }
        }
    }))
    .await;
    let worst = ExitCode::from(
        rows.iter()
            .map(|(_, verdict)| *verdict)
            .max_by_key(|verdict| verdict.severity())
            .unwrap_or(Verdict::Success),
    );
    let out_of_sync = rows
        .iter()
        .filter(|(row, verdict)| *verdict == Verdict::Success && (!row.in_sync || row.drift > 0))
        .count();
    let code = if worst != ExitCode::Success {
        worst
    } else if args.exit_code && out_of_sync > 0 {
        ExitCode::Differs
    } else {
        ExitCode::Success
    };
    match args.output {
        Output::Json => out(json!({
            "exit_code": code.code(),
            "targets": rows.iter().map(|(row, verdict)| json!({
                "target": row.label, "live": row.live, "template": row.template,
                "latest_template": row.latest, "in_sync": row.in_sync, "hand_edits": row.drift,
                "deployment": row.deployment, "exit_code": ExitCode::from(*verdict).code(), "problem": row.problem,
            })).collect::<Vec<_>>(),
        })),
        Output::Text => {
            let header = [
                "TARGET",
                "LIVE",
                "TEMPLATE",
                "LATEST",
                "IN SYNC",
                "DRIFT",
                "DEPLOYMENT",
            ];
            let table: Vec<[String; 7]> = rows
                .iter()
                .map(|(row, _)| {
                    [
                        row.label.clone(),
                        row.live.clone(),
                        row.template.clone(),
                        row.latest.clone(),
                        if row.in_sync { "yes" } else { "no" }.to_string(),
                        row.drift.to_string(),
                        row.deployment.clone(),
                    ]
                })
                .collect();
            out(text_table(header, &table));
        }
    }
    for (row, _) in &rows {
        if let Some(problem) = &row.problem {
            err(format!("ecstpl: error: {}: {problem}", row.label));
        }
    }
    code
}

async fn status_row(
    ecs: &Ecs,
    target: &Target,
    template: Option<&str>,
) -> Result<StatusRow, RolloutError> {
    let live = crate::rollout::live_reported(ecs, target).await?;
    let family = crate::rollout::template_family(template, &live.revision).ok();
    let latest = match &family {
        Some(family) => ecs.latest_template(family).await?,
        None => None,
    };
    let in_sync = latest
        .as_ref()
        .is_some_and(|latest| aws::in_sync(&live.revision, latest));
    let rendered_from = live.revision.rendered_from();
    let drift = crate::rollout::hand_edits(ecs, &live.revision)
        .await?
        .map_or(0, |edits| edits.len());
    let deployment = match ecs
        .ongoing_deployment(&target.cluster, &target.service)
        .await
    {
        Ok(Some(d)) => format!(
            "{} {}{}",
            short_deployment(&d.arn),
            d.status,
            d.pause()
                .map(|h| format!(" (paused: {})", h.id))
                .unwrap_or_default()
        ),
        Ok(None) => "-".into(),
        Err(problem) if problem.is_unknown_operation() => "-".into(),
        Err(problem) => return Err(problem.into()),
    };
    Ok(StatusRow {
        label: String::new(),
        live: live.revision.family_revision(),
        template: rendered_from.unwrap_or_else(|| "-".into()),
        latest: latest
            .as_ref()
            .map(aws::Revision::family_revision)
            .unwrap_or_else(|| "-".into()),
        in_sync,
        drift,
        deployment,
        problem: None,
    })
}

pub(crate) async fn diff(base: &Settings, args: &DiffArgs, file: &FleetFile) -> ExitCode {
    let prepared = async {
        let input = crate::cli::ops::render_input(&args.render, true)?;
        let overlays = overlays(file)?;
        let mut clients = Clients::new(base);
        let mut asks = Vec::new();
        for spec in file.waves.iter().flat_map(|w| &w.targets) {
            let ecs = clients.client(spec).await.map_err(|problem| {
                crate::cli::report::bad(format!("{}: {problem}", file.path.display()))
            })?;
            asks.push((
                label(spec, base),
                ecs,
                target_input(spec, &input, &overlays),
            ));
        }
        Ok::<_, Failure>(asks)
    }
    .await;
    let asks = match prepared {
        Ok(asks) => asks,
        Err(Failure(code, message)) => return report::fail(code, &message),
    };
    let diffs = futures_util::future::join_all(asks.iter().map(|(label, ecs, input)| async move {
        let rendered = crate::rollout::render_request(ecs, input).await;
        (label, rendered)
    }))
    .await;
    let mut worst = Verdict::Success;
    let mut changed = 0;
    for (label, rendered) in diffs {
        match rendered {
            Ok(rendered) => {
                let text = crate::cli::ops::diff_text(&rendered);
                out(format!("== {label}"));
                match text {
                    Some(text) => {
                        changed += 1;
                        report::out_text(&text);
                    }
                    None => out(format!(
                        "No changes: deploy would register a revision equivalent to {}.",
                        rendered.live.revision.family_revision()
                    )),
                }
            }
            Err(failure) => {
                err(format!("ecstpl: error: {label}: {failure}"));
                if failure.verdict().severity() > worst.severity() {
                    worst = failure.verdict();
                }
            }
        }
    }
    if worst != Verdict::Success {
        return ExitCode::from(worst);
    }
    if args.exit_code && changed > 0 {
        ExitCode::Differs
    } else {
        ExitCode::Success
    }
}

/// `--images-from [REGION/]CLUSTER/SERVICE`: the images that service runs now: the ones CI
/// deployed there (its `ecstpl:ci-images` tag), else every container's.
pub(crate) async fn images_from(
    base: &Settings,
    source: &str,
) -> Result<BTreeMap<String, String>, Failure> {
    let parts: Vec<&str> = source.split('/').collect();
    let (region, cluster, service) = match parts.as_slice() {
        [cluster, service] if !cluster.is_empty() && !service.is_empty() => {
            (None, *cluster, *service)
        }
        [region, cluster, service]
            if !region.is_empty() && !cluster.is_empty() && !service.is_empty() =>
        {
            (Some(region.to_string()), *cluster, *service)
        }
        _ => {
            return Err(crate::cli::report::bad(format!(
                "--images-from {source:?} is not [REGION/]CLUSTER/SERVICE"
            )));
        }
    };
    let mut settings = base.clone();
    if region.is_some() {
        settings.region = region;
    }
    settings
        .check()
        .map_err(|problem| crate::cli::report::bad(format!("--images-from {source}: {problem}")))?;
    let ecs = Ecs::connect(&settings)
        .await
        .map_err(|problem| crate::cli::report::bad(format!("--images-from {source}: {problem}")))?;
    let target = Target {
        cluster: cluster.to_string(),
        service: service.to_string(),
    };
    let live = crate::rollout::live(&ecs, &target)
        .await
        .map_err(|failure| {
            Failure(
                ExitCode::from(failure.verdict()),
                format!("--images-from {source}: {failure}"),
            )
        })?;
    let mut images = crate::taskdef::images(&live.revision.task_definition);
    if let Some(tag) = live.revision.tags.get(aws::contract::TAG_CI_IMAGES) {
        let set_by_ci = crate::taskdef::parse_ci_images_tag(tag);
        images.retain(|container, _| set_by_ci.contains(container));
    }
    if images.is_empty() {
        return Err(crate::cli::report::bad(format!(
            "--images-from {source}: {} names no image",
            live.revision.family_revision()
        )));
    }
    Ok(images)
}
