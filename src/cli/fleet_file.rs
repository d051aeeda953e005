//! The fleet file of `--fleet FILE`: the services one command runs over, in waves. Everything
//! in it is checked here, before any AWS call, and every refusal names the file and the line.
//! The format is described in docs/guides/fleet.md.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::rollout::WaitUntil;

/// A checked fleet file.
#[derive(Clone, Debug)]
pub(crate) struct FleetFile {
    pub(crate) path: PathBuf,
    pub(crate) waves: Vec<WaveSpec>,
}

/// One wave: its targets run together (at most `max_parallel` at a time), after the wave
/// before it.
#[derive(Clone, Debug)]
pub(crate) struct WaveSpec {
    pub(crate) name: String,
    /// Line of the wave's `[[wave]]` header.
    pub(crate) line: usize,
    /// None: every target of the wave at once.
    pub(crate) max_parallel: Option<usize>,
    pub(crate) targets: Vec<TargetSpec>,
}

/// One service, with `[defaults]` applied. None: the command's flag (or environment) decides.
#[derive(Clone, Debug)]
pub(crate) struct TargetSpec {
    /// Line of the target's `[[wave.target]]` header.
    pub(crate) line: usize,
    /// None: the command's --region / AWS_REGION.
    pub(crate) region: Option<String>,
    pub(crate) cluster: String,
    pub(crate) service: String,
    pub(crate) profile: Option<String>,
    pub(crate) role_arn: Option<String>,
    pub(crate) template: Option<String>,
    pub(crate) family: Option<String>,
    /// Resolved against the fleet file's directory; not read here.
    pub(crate) overlay: Option<PathBuf>,
    pub(crate) wait_until: Option<WaitUntil>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) poll_interval: Option<Duration>,
}

const TOP_KEYS: &[&str] = &["defaults", "wave"];
const WAVE_KEYS: &[&str] = &["name", "max_parallel", "target"];
const TARGET_KEYS: &[&str] = &[
    "region",
    "cluster",
    "service",
    "profile",
    "role_arn",
    "template",
    "family",
    "overlay",
    "wait_until",
    "timeout",
    "poll_interval",
];

// The file as written. Spans give the lines; every value is checked after reading, so that
// `[defaults]` can fill what a target leaves out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<Spanned<RawTarget>>,
    #[serde(default)]
    wave: Vec<Spanned<RawWave>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWave {
    name: Option<Spanned<String>>,
    max_parallel: Option<Spanned<i64>>,
    #[serde(default)]
    target: Vec<Spanned<RawTarget>>,
}

type RawText = Option<Spanned<String>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    region: RawText,
    cluster: RawText,
    service: RawText,
    profile: RawText,
    role_arn: RawText,
    template: RawText,
    family: RawText,
    overlay: RawText,
    wait_until: RawText,
    timeout: RawText,
    poll_interval: RawText,
}

/// The keys of one table (`[defaults]` or a target), each checked where it is written.
#[derive(Clone, Default)]
struct Keys {
    region: Option<String>,
    cluster: Option<String>,
    service: Option<String>,
    profile: Option<String>,
    role_arn: Option<String>,
    template: Option<String>,
    family: Option<String>,
    overlay: Option<PathBuf>,
    wait_until: Option<WaitUntil>,
    timeout: Option<Duration>,
    poll_interval: Option<Duration>,
}

impl Keys {
    /// These keys over `defaults`. A target that names its credentials (`profile` or
    /// `role_arn`) takes neither from the defaults: the two are one choice, not two settings.
    fn over(self, defaults: &Keys) -> Keys {
        let (profile, role_arn) = if self.profile.is_some() || self.role_arn.is_some() {
            (self.profile, self.role_arn)
        } else {
            (defaults.profile.clone(), defaults.role_arn.clone())
        };
        Keys {
            region: self.region.or_else(|| defaults.region.clone()),
            cluster: self.cluster.or_else(|| defaults.cluster.clone()),
            service: self.service.or_else(|| defaults.service.clone()),
            profile,
            role_arn,
            template: self.template.or_else(|| defaults.template.clone()),
            family: self.family.or_else(|| defaults.family.clone()),
            overlay: self.overlay.or_else(|| defaults.overlay.clone()),
            wait_until: self.wait_until.or(defaults.wait_until),
            timeout: self.timeout.or(defaults.timeout),
            poll_interval: self.poll_interval.or(defaults.poll_interval),
        }
    }
}

/// Reads and checks a fleet file; the error names the file and line.
pub(crate) fn load(path: &Path) -> Result<FleetFile, String> {
    let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    parse(path, &text)
}

/// The same for text already read; `path` is for messages and resolving `overlay`.
pub(crate) fn parse(path: &Path, text: &str) -> Result<FleetFile, String> {
    let raw: RawFile = toml::from_str(text).map_err(|err| read_error(path, text, &err))?;
    let mut problems = Problems {
        text,
        found: Vec::new(),
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    let defaults = match &raw.defaults {
        Some(table) => keys(table.get_ref(), "[defaults]", dir, &mut problems),
        None => Keys::default(),
    };
    if raw.wave.is_empty() {
        problems.at_line(
            1,
            "no [[wave]]: a fleet file needs at least one wave".into(),
        );
    }

    let mut waves = Vec::new();
    // Where each wave name and each service was first seen, to name both lines of a repeat.
    let mut wave_names: HashMap<String, usize> = HashMap::new();
    let mut services: HashMap<ServiceKey, usize> = HashMap::new();
    for (index, wave) in raw.wave.iter().enumerate() {
        let line = problems.line(wave.span());
        let raw_wave = wave.get_ref();
        let (name, name_line) = match &raw_wave.name {
            Some(name) => (name.get_ref().clone(), problems.line(name.span())),
            None => (format!("wave {}", index + 1), line),
        };
        if name.trim().is_empty() {
            problems.at_line(name_line, "name: a wave name must not be empty".into());
        } else if let Some(first) = wave_names.get(&name) {
            problems.at_line(
                name_line,
                format!("the wave name {name:?} is already used by the wave at line {first}"),
            );
        } else {
            wave_names.insert(name.clone(), name_line);
        }
        let max_parallel = raw_wave.max_parallel.as_ref().and_then(|value| {
            match usize::try_from(*value.get_ref()) {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    problems.at(
                        value.span(),
                        format!(
                            "max_parallel: {} is not a number of targets (at least 1)",
                            value.get_ref()
                        ),
                    );
                    None
                }
            }
        });
        if raw_wave.target.is_empty() {
            problems.at_line(
                line,
                format!("the wave {name:?} has no targets: add at least one [[wave.target]]"),
            );
        }

        let mut targets = Vec::new();
        for target in &raw_wave.target {
            let line = problems.line(target.span());
            let keys = keys(target.get_ref(), "a target", dir, &mut problems).over(&defaults);
            let (Some(cluster), Some(service)) = (keys.cluster.clone(), keys.service.clone())
            else {
                let missing: Vec<&str> = [("cluster", &keys.cluster), ("service", &keys.service)]
                    .into_iter()
                    .filter(|(_, value)| value.is_none())
                    .map(|(key, _)| key)
                    .collect();
                let missing = missing.join(" and ");
                problems.at_line(
                    line,
                    format!(
                        "a target without {missing}: set {missing} in the target or in [defaults]"
                    ),
                );
                continue;
            };
            if let (Some(region), Some(arn_region)) = (&keys.region, arn_region(&cluster))
                && region != arn_region
            {
                problems.at_line(
                    line,
                    format!(
                        "cluster {cluster:?} is in {arn_region}, but the target's region is {region}"
                    ),
                );
            }
            let identity = (
                keys.region
                    .clone()
                    .or_else(|| arn_region(&cluster).map(str::to_string)),
                keys.profile.clone(),
                keys.role_arn.clone(),
                short_name(&cluster).to_string(),
                short_name(&service).to_string(),
            );
            if let Some(first) = services.get(&identity) {
                problems.at_line(
                    line,
                    format!(
                        "the service {service:?} of cluster {cluster:?} is already a target at line {first} (same region and credentials): a fleet lists each service once"
                    ),
                );
            } else {
                services.insert(identity, line);
            }
            targets.push(TargetSpec {
                line,
                region: keys.region,
                cluster,
                service,
                profile: keys.profile,
                role_arn: keys.role_arn,
                template: keys.template,
                family: keys.family,
                overlay: keys.overlay,
                wait_until: keys.wait_until,
                timeout: keys.timeout,
                poll_interval: keys.poll_interval,
            });
        }
        waves.push(WaveSpec {
            name,
            line,
            max_parallel,
            targets,
        });
    }

    if problems.found.is_empty() {
        Ok(FleetFile {
            path: path.to_path_buf(),
            waves,
        })
    } else {
        problems.found.sort_by_key(|(line, _)| *line);
        let lines: Vec<String> = problems
            .found
            .iter()
            .map(|(line, message)| format!("{}:{line}: {message}", path.display()))
            .collect();
        Err(lines.join("\n"))
    }
}

/// What makes two targets the same service: region, profile, role ARN, cluster, service (a
/// cluster or service by name, an ARN by its last part; a target without a region is compared
/// again once the command's Region is known).
type ServiceKey = (
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// The name in a cluster or service ARN (`arn:…:cluster/NAME`, `arn:…:service/CLUSTER/NAME`,
/// `arn:…:service/NAME`); anything else as it is. ECS takes either form.
pub(crate) fn short_name(id: &str) -> &str {
    if id.starts_with("arn:") {
        id.rsplit('/').next().unwrap_or(id)
    } else {
        id
    }
}

/// The Region an ARN names (its fourth field), if `id` is an ARN that names one.
fn arn_region(id: &str) -> Option<&str> {
    id.strip_prefix("arn:")?
        .split(':')
        .nth(2)
        .filter(|region| !region.is_empty())
}

/// The problems found so far, each with its line; all are reported at once.
struct Problems<'a> {
    text: &'a str,
    found: Vec<(usize, String)>,
}

impl Problems<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    fn at(&mut self, span: Range<usize>, message: String) {
        let line = self.line(span);
        self.at_line(line, message);
    }

    fn at_line(&mut self, line: usize, message: String) {
        self.found.push((line, message));
    }
}

/// Checks the keys of `[defaults]` or a target (`what`), each at its own line. A value that
/// is refused is still returned where it cannot mislead a later check, so one mistake is
/// reported once.
fn keys(raw: &RawTarget, what: &str, dir: &Path, problems: &mut Problems) -> Keys {
    let mut text = |key: &str, value: &RawText| -> Option<String> {
        let value = value.as_ref()?;
        if value.get_ref().trim().is_empty() {
            problems.at(value.span(), format!("{key}: must not be empty"));
        }
        Some(value.get_ref().clone())
    };
    let keys = Keys {
        region: text("region", &raw.region),
        cluster: text("cluster", &raw.cluster),
        service: text("service", &raw.service),
        profile: text("profile", &raw.profile),
        role_arn: text("role_arn", &raw.role_arn),
        template: text("template", &raw.template),
        family: text("family", &raw.family),
        overlay: text("overlay", &raw.overlay).map(|overlay| dir.join(overlay)),
        wait_until: None,
        timeout: None,
        poll_interval: None,
    };
    let mut check = |value: &RawText, key: &str, check: fn(&str) -> Result<(), String>| {
        if let Some(value) = value
            && !value.get_ref().trim().is_empty()
            && let Err(message) = check(value.get_ref())
        {
            problems.at(value.span(), format!("{key}: {message}"));
        }
    };
    check(&raw.region, "region", crate::aws::settings::check_region);
    check(
        &raw.role_arn,
        "role_arn",
        crate::aws::settings::check_role_arn,
    );
    if let (Some(profile), Some(role_arn)) = (&raw.profile, &raw.role_arn) {
        // At the later of the two: that is where the second choice was added.
        let span = if profile.span().start > role_arn.span().start {
            profile.span()
        } else {
            role_arn.span()
        };
        problems.at(
            span,
            format!(
                "both profile and role_arn in {what}: give one (a named profile, or a role to assume)"
            ),
        );
    }
    let wait_until =
        raw.wait_until
            .as_ref()
            .and_then(|value| match WaitUntil::parse(value.get_ref()) {
                Ok(until) => Some(until),
                Err(why) => {
                    problems.at(value.span(), format!("wait_until: {why}"));
                    None
                }
            });
    let mut duration = |key: &str, value: &RawText, zero_allowed: bool| {
        let value = value.as_ref()?;
        match humantime::parse_duration(value.get_ref()) {
            Ok(duration) if duration.is_zero() && !zero_allowed => {
                problems.at(value.span(), format!("{key}: must be more than zero"));
                None
            }
            Ok(duration) => Some(duration),
            Err(err) => {
                problems.at(
                    value.span(),
                    format!(
                        "{key}: {:?} is not a duration like \"30m\" or \"90s\" ({err})",
                        value.get_ref()
                    ),
                );
                None
            }
        }
    };
    Keys {
        wait_until,
        timeout: duration("timeout", &raw.timeout, false),
        // As --poll-interval: a short one is raised to the polling floor when it is used.
        poll_interval: duration("poll_interval", &raw.poll_interval, true),
        ..keys
    }
}

/// A syntax error, an unknown key or a value of the wrong type, with the file and line and,
/// where the document can tell, the key it is about.
fn read_error(path: &Path, text: &str, err: &toml::de::Error) -> String {
    let Some(span) = err.span() else {
        return format!("{}: {}", path.display(), err.message());
    };
    let line = line_of(text, span.start);
    // The document parses when the error is about its content: then find the key.
    let mut tables = Vec::new();
    let key = toml::de::DeTable::parse(text)
        .ok()
        .and_then(|document| locate(document.get_ref(), &span, &mut tables));
    let message = match key {
        Some(key) if err.message().starts_with("unknown field") => {
            let (place, expected) = match tables.as_slice() {
                [] => ("at the top level", TOP_KEYS),
                [defaults] if defaults == "defaults" => ("in [defaults]", TARGET_KEYS),
                [wave] if wave == "wave" => ("in a wave", WAVE_KEYS),
                _ => ("in a target", TARGET_KEYS),
            };
            format!(
                "unknown key {key:?} {place} (expected one of: {})",
                expected.join(", ")
            )
        }
        // serde names Rust types; say what the file needs.
        Some(key) => {
            let message = err
                .message()
                .replace("expected i64", "expected an integer")
                .replace(
                    "map, expected a sequence",
                    "table, expected an array of tables",
                )
                .replace("expected struct RawTarget", "expected a table")
                .replace("expected struct RawWave", "expected a table");
            match key.as_str() {
                "wave" | "target" if message.contains("array of tables") => {
                    format!(
                        "{key}: {message} (write [[wave]] and [[wave.target]], with two brackets)"
                    )
                }
                _ => format!("{key}: {message}"),
            }
        }
        None if err.message() == "duplicate key" => {
            format!("duplicate key {:?}", text.get(span).unwrap_or_default())
        }
        None => err.message().to_string(),
    };
    format!("{}:{line}: {message}", path.display())
}

/// The key at `span` (the key itself or its value) and, in `tables`, the keys of the tables
/// that hold it.
fn locate(
    table: &toml::de::DeTable,
    span: &Range<usize>,
    tables: &mut Vec<String>,
) -> Option<String> {
    for (key, value) in table.iter() {
        if key.span() == *span || value.span() == *span {
            return Some(key.get_ref().to_string());
        }
        let nested: Vec<&toml::de::DeTable> = match value.get_ref() {
            toml::de::DeValue::Table(table) => vec![table],
            toml::de::DeValue::Array(array) => array
                .iter()
                .filter_map(|item| item.get_ref().as_table())
                .collect(),
            _ => Vec::new(),
        };
        tables.push(key.get_ref().to_string());
        for table in nested {
            if let Some(found) = locate(table, span, tables) {
                return Some(found);
            }
        }
        tables.pop();
    }
    None
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    let mut before = &text.as_bytes()[..end];
    // An error at the very end (an unclosed string) is on the last line, not after it.
    if end == text.len()
        && let Some(rest) = before.strip_suffix(b"\n")
    {
        before = rest;
    }
    before.iter().filter(|byte| **byte == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGET: &str = "[[wave]]\n[[wave.target]]\ncluster = \"prod\"\nservice = \"web\"\n";

    fn refused(text: &str) -> String {
        match parse(Path::new("fleet.toml"), text) {
            Ok(fleet) => panic!("accepted: {fleet:?}"),
            Err(message) => message,
        }
    }

    fn accepted(text: &str) -> FleetFile {
        parse(Path::new("ci/fleet.toml"), text).unwrap()
    }

    #[test]
    fn the_example_holds_two_waves_with_defaults_applied() {
        let fleet = parse(
            Path::new("examples/fleet/fleet.toml"),
            include_str!("../../examples/fleet/fleet.toml"),
        )
        .unwrap();
        let names: Vec<&str> = fleet.waves.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["canary", "everywhere"]);
        assert_eq!(fleet.waves[0].max_parallel, None);
        assert_eq!(fleet.waves[1].max_parallel, Some(2));
        let targets: Vec<(&str, &str, &str)> = fleet
            .waves
            .iter()
            .flat_map(|w| &w.targets)
            .map(|t| {
                (
                    t.region.as_deref().unwrap(),
                    t.cluster.as_str(),
                    t.service.as_str(),
                )
            })
            .collect();
        assert_eq!(
            targets,
            [
                ("us-east-1", "prod-us", "web"),
                ("us-west-2", "prod-us", "web"),
                ("eu-west-1", "prod-eu", "web"),
                ("eu-central-1", "prod-eu", "web"),
            ]
        );
        let role = Some("arn:aws:iam::210987654321:role/deploy");
        for target in fleet.waves.iter().flat_map(|w| &w.targets) {
            assert_eq!(target.template.as_deref(), Some("web-template"));
            assert_eq!(target.family, None);
            assert_eq!(target.timeout, Some(Duration::from_secs(30 * 60)));
            assert_eq!(target.poll_interval, Some(Duration::from_secs(5)));
            if target.cluster == "prod-us" {
                assert_eq!(target.role_arn.as_deref(), role);
                assert_eq!(target.profile, None);
                assert_eq!(target.overlay, None);
            } else {
                // The target's profile replaces the default role_arn.
                assert_eq!(target.role_arn, None);
                assert_eq!(target.profile.as_deref(), Some("prod-eu"));
                assert_eq!(
                    target.overlay.as_deref(),
                    Some(Path::new("examples/fleet/overlays/eu.json"))
                );
            }
        }
        let eu_central = &fleet.waves[1].targets[2];
        assert_eq!(eu_central.wait_until, Some(WaitUntil::Stable));
        assert_eq!(
            fleet.waves[0].targets[0].wait_until,
            Some(WaitUntil::Deployed)
        );
        assert_eq!(fleet.waves[0].line, 18);
        assert_eq!(fleet.waves[0].targets[0].line, 21);
        // The overlay is there, and is an overlay of the container `app`.
        let overlay: serde_json::Value =
            serde_json::from_str(include_str!("../../examples/fleet/overlays/eu.json")).unwrap();
        assert_eq!(overlay["containerDefinitions"][0]["name"], "app");
    }

    #[test]
    fn the_guide_shows_a_file_that_parses_and_documents_every_key() {
        let guide = include_str!("../../docs/guides/fleet.md");
        let example = guide
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap();
        let fleet = parse(Path::new("fleet.toml"), example).unwrap();
        assert_eq!(fleet.waves.len(), 2);
        assert_eq!(fleet.waves[1].targets[1].role_arn, None);
        for key in TOP_KEYS.iter().chain(WAVE_KEYS).chain(TARGET_KEYS) {
            assert!(
                guide.contains(&format!("\n| `{key}` |")),
                "{key} is not in the table"
            );
        }
    }

    #[test]
    fn a_lone_target_takes_nothing_it_does_not_say() {
        let fleet = accepted(TARGET);
        assert_eq!(fleet.path, Path::new("ci/fleet.toml"));
        assert_eq!(fleet.waves.len(), 1);
        let wave = &fleet.waves[0];
        assert_eq!(
            (wave.name.as_str(), wave.line, wave.max_parallel),
            ("wave 1", 1, None)
        );
        let target = &wave.targets[0];
        assert_eq!(target.line, 2);
        assert_eq!(
            (target.cluster.as_str(), target.service.as_str()),
            ("prod", "web")
        );
        assert_eq!(target.region, None);
        assert_eq!(target.profile, None);
        assert_eq!(target.role_arn, None);
        assert_eq!(target.template, None);
        assert_eq!(target.overlay, None);
        assert_eq!(target.wait_until, None);
        assert_eq!(target.timeout, None);
        assert_eq!(target.poll_interval, None);
    }

    #[test]
    fn every_target_key_is_read() {
        let fleet = accepted(
            r#"[[wave]]
name = "all"
max_parallel = 3
[[wave.target]]
region = "eu-west-1"
cluster = "c"
service = "s"
profile = "p"
template = "t"
family = "f"
overlay = "o.json"
wait_until = "paused"
timeout = "1h 30m"
poll_interval = "0s"
"#,
        );
        let target = &fleet.waves[0].targets[0];
        assert_eq!(target.region.as_deref(), Some("eu-west-1"));
        assert_eq!(target.profile.as_deref(), Some("p"));
        assert_eq!(target.template.as_deref(), Some("t"));
        assert_eq!(target.family.as_deref(), Some("f"));
        assert_eq!(target.overlay.as_deref(), Some(Path::new("ci/o.json")));
        assert_eq!(target.wait_until, Some(WaitUntil::Paused));
        assert_eq!(target.timeout, Some(Duration::from_secs(90 * 60)));
        assert_eq!(target.poll_interval, Some(Duration::ZERO));
        assert_eq!(fleet.waves[0].max_parallel, Some(3));
        // role_arn is the one key not set above: a target may not have both.
        let with_role = accepted(
            "[[wave]]\n[[wave.target]]\ncluster = \"c\"\nservice = \"s\"\nrole_arn = \"arn:aws:iam::123456789012:role/deploy\"\n",
        );
        assert_eq!(
            with_role.waves[0].targets[0].role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/deploy")
        );
        assert_eq!(TARGET_KEYS.len(), 11);
    }

    #[test]
    fn a_targets_own_value_wins_over_the_default() {
        let fleet = accepted(
            r#"[defaults]
cluster = "prod"
template = "web-template"
timeout = "10m"
wait_until = "stable"

[[wave]]
[[wave.target]]
service = "web"
[[wave.target]]
service = "api"
template = "api-template"
timeout = "20m"
"#,
        );
        let [web, api] = fleet.waves[0].targets.as_slice() else {
            panic!("two targets: {fleet:?}");
        };
        assert_eq!(
            (web.cluster.as_str(), api.cluster.as_str()),
            ("prod", "prod")
        );
        assert_eq!(web.template.as_deref(), Some("web-template"));
        assert_eq!(api.template.as_deref(), Some("api-template"));
        assert_eq!(web.timeout, Some(Duration::from_secs(600)));
        assert_eq!(api.timeout, Some(Duration::from_secs(1200)));
        assert_eq!(api.wait_until, Some(WaitUntil::Stable));
    }

    #[test]
    fn credentials_are_one_choice_a_target_makes_over_the_defaults() {
        let fleet = accepted(
            r#"[defaults]
role_arn = "arn:aws:iam::123456789012:role/deploy"
cluster = "prod"

[[wave]]
[[wave.target]]
service = "a"
[[wave.target]]
service = "b"
profile = "eu"
"#,
        );
        let [a, b] = fleet.waves[0].targets.as_slice() else {
            panic!("two targets: {fleet:?}");
        };
        assert_eq!(
            a.role_arn.as_deref(),
            Some("arn:aws:iam::123456789012:role/deploy")
        );
        assert_eq!(a.profile, None);
        assert_eq!(b.role_arn, None);
        assert_eq!(b.profile.as_deref(), Some("eu"));

        let fleet = accepted(
            "[defaults]\nprofile = \"us\"\n[[wave]]\n[[wave.target]]\ncluster = \"c\"\nservice = \"s\"\nrole_arn = \"arn:aws:iam::123456789012:role/deploy\"\n",
        );
        let target = &fleet.waves[0].targets[0];
        assert_eq!(target.profile, None);
        assert!(target.role_arn.is_some());
    }

    #[test]
    fn overlay_is_resolved_against_the_fleet_files_directory() {
        let text = "[defaults]\noverlay = \"base.json\"\n[[wave]]\n[[wave.target]]\ncluster = \"c\"\nservice = \"a\"\n[[wave.target]]\ncluster = \"c\"\nservice = \"b\"\noverlay = \"/etc/ecstpl/b.json\"\n";
        let fleet = parse(Path::new("deploy/prod/fleet.toml"), text).unwrap();
        let targets = &fleet.waves[0].targets;
        assert_eq!(
            targets[0].overlay.as_deref(),
            Some(Path::new("deploy/prod/base.json"))
        );
        assert_eq!(
            targets[1].overlay.as_deref(),
            Some(Path::new("/etc/ecstpl/b.json"))
        );
        // A file in the working directory: relative to it, as written.
        let fleet = parse(Path::new("fleet.toml"), text).unwrap();
        assert_eq!(
            fleet.waves[0].targets[0].overlay.as_deref(),
            Some(Path::new("base.json"))
        );
    }

    #[test]
    fn waves_are_named_wave_n_unless_named() {
        let fleet = accepted(&format!(
            "{TARGET}[[wave]]\nname = \"rest\"\n[[wave.target]]\ncluster = \"prod\"\nservice = \"api\"\n[[wave]]\n[[wave.target]]\ncluster = \"prod\"\nservice = \"worker\"\n"
        ));
        let names: Vec<(&str, usize)> = fleet
            .waves
            .iter()
            .map(|w| (w.name.as_str(), w.line))
            .collect();
        assert_eq!(names, [("wave 1", 1), ("rest", 5), ("wave 3", 10)]);
    }

    #[test]
    fn refuses_toml_syntax_errors_at_their_line() {
        assert_eq!(
            refused("[[wave]]\nname = \"canary\n"),
            "fleet.toml:2: invalid basic string, expected `\"`"
        );
        assert_eq!(
            refused("[defaults]\ntimeout = \"1m\"\ntimeout = \"2m\"\n"),
            "fleet.toml:3: duplicate key \"timeout\""
        );
        let message = refused(&format!("{TARGET}[[wave\n"));
        assert!(message.starts_with("fleet.toml:5: "), "{message}");
    }

    #[test]
    fn refuses_an_unknown_key_in_a_target() {
        assert_eq!(
            refused(&format!("{TARGET}servce = \"api\"\n")),
            "fleet.toml:5: unknown key \"servce\" in a target (expected one of: region, cluster, service, profile, role_arn, template, family, overlay, wait_until, timeout, poll_interval)"
        );
    }

    #[test]
    fn refuses_an_unknown_key_in_defaults_a_wave_and_the_top_level() {
        let message = refused(&format!(
            "[defaults]\ntemplate = \"t\"\nimage = \"x\"\n{TARGET}"
        ));
        assert!(
            message.starts_with("fleet.toml:3: unknown key \"image\" in [defaults] (expected one of: region, cluster,"),
            "{message}"
        );
        let message = refused("[[wave]]\nname = \"a\"\nparallel = 2\n");
        assert_eq!(
            message,
            "fleet.toml:3: unknown key \"parallel\" in a wave (expected one of: name, max_parallel, target)"
        );
        let message = refused(&format!("{TARGET}[[waves]]\n"));
        assert_eq!(
            message,
            "fleet.toml:5: unknown key \"waves\" at the top level (expected one of: defaults, wave)"
        );
        // A dotted key is found in the table it names.
        let message = refused(&format!("defaults.tempalte = \"t\"\n{TARGET}"));
        assert!(
            message.starts_with("fleet.toml:1: unknown key \"tempalte\" in [defaults]"),
            "{message}"
        );
    }

    #[test]
    fn refuses_values_of_the_wrong_type_at_their_line() {
        assert_eq!(
            refused(&format!("{TARGET}[[wave]]\nmax_parallel = \"ten\"\n")),
            "fleet.toml:6: max_parallel: invalid type: string \"ten\", expected an integer"
        );
        assert_eq!(
            refused("[[wave]]\n[[wave.target]]\ncluster = \"c\"\nservice = 5\n"),
            "fleet.toml:4: service: invalid type: integer `5`, expected a string"
        );
        let message = refused("wave = 3\n");
        assert!(
            message.starts_with("fleet.toml:1: wave: invalid type"),
            "{message}"
        );
    }

    #[test]
    fn refuses_a_target_without_cluster_or_service() {
        assert_eq!(
            refused("[[wave]]\nname = \"a\"\n\n[[wave.target]]\nservice = \"web\"\n"),
            "fleet.toml:4: a target without cluster: set cluster in the target or in [defaults]"
        );
        assert_eq!(
            refused(
                "[defaults]\ncluster = \"prod\"\n[[wave]]\n[[wave.target]]\nregion = \"eu-west-1\"\n"
            ),
            "fleet.toml:4: a target without service: set service in the target or in [defaults]"
        );
        assert_eq!(
            refused("[[wave]]\n[[wave.target]]\n"),
            "fleet.toml:2: a target without cluster and service: set cluster and service in the target or in [defaults]"
        );
        // Both from the defaults is enough.
        accepted(
            "[defaults]\ncluster = \"prod\"\nservice = \"web\"\n[[wave]]\n[[wave.target]]\nregion = \"eu-west-1\"\n",
        );
    }

    #[test]
    fn refuses_a_wave_without_targets() {
        assert_eq!(
            refused(&format!("{TARGET}\n[[wave]]\nname = \"empty\"\n")),
            "fleet.toml:6: the wave \"empty\" has no targets: add at least one [[wave.target]]"
        );
    }

    #[test]
    fn refuses_a_file_without_waves() {
        let expected = "fleet.toml:1: no [[wave]]: a fleet file needs at least one wave";
        assert_eq!(refused(""), expected);
        assert_eq!(refused("[defaults]\ncluster = \"prod\"\n"), expected);
    }

    #[test]
    fn refuses_both_profile_and_role_arn_in_one_table() {
        assert_eq!(
            refused(&format!(
                "{TARGET}role_arn = \"arn:aws:iam::123456789012:role/deploy\"\nprofile = \"prod\"\n"
            )),
            "fleet.toml:6: both profile and role_arn in a target: give one (a named profile, or a role to assume)"
        );
        assert_eq!(
            refused(&format!(
                "[defaults]\nprofile = \"prod\"\nrole_arn = \"arn:aws:iam::123456789012:role/deploy\"\n{TARGET}"
            )),
            "fleet.toml:3: both profile and role_arn in [defaults]: give one (a named profile, or a role to assume)"
        );
    }

    #[test]
    fn refuses_a_bad_role_arn() {
        assert_eq!(
            refused(&format!(
                "{TARGET}role_arn = \"arn:aws:iam::123:role/deploy\"\n"
            )),
            "fleet.toml:5: role_arn: \"arn:aws:iam::123:role/deploy\" is not an IAM role ARN, like \"arn:aws:iam::123456789012:role/deploy\""
        );
    }

    #[test]
    fn refuses_a_bad_region_in_a_target_or_the_defaults() {
        let message = refused(&format!("{TARGET}region = \"eu-west\"\n"));
        assert!(
            message.starts_with("fleet.toml:5: region: \"eu-west\" is not an AWS region name"),
            "{message}"
        );
        let message = refused(&format!("[defaults]\nregion = \"EU\"\n{TARGET}"));
        assert!(
            message.starts_with("fleet.toml:2: region: \"EU\" is not an AWS region name"),
            "{message}"
        );
        // Reported once, where it is written, not again at each target.
        assert_eq!(message.lines().count(), 1, "{message}");
    }

    #[test]
    fn refuses_an_unknown_wait_until() {
        assert_eq!(
            refused(&format!("{TARGET}wait_until = \"steady\"\n")),
            "fleet.toml:5: wait_until: \"steady\" is none of \"deployed\", \"stable\", \"paused\""
        );
    }

    #[test]
    fn refuses_a_timeout_or_poll_interval_that_is_no_duration() {
        let message = refused(&format!("{TARGET}timeout = \"30\"\n"));
        assert!(
            message.starts_with(
                "fleet.toml:5: timeout: \"30\" is not a duration like \"30m\" or \"90s\" ("
            ),
            "{message}"
        );
        let message = refused(&format!("[defaults]\npoll_interval = \"often\"\n{TARGET}"));
        assert!(
            message.starts_with("fleet.toml:2: poll_interval: \"often\" is not a duration"),
            "{message}"
        );
    }

    #[test]
    fn refuses_a_zero_timeout() {
        assert_eq!(
            refused(&format!("{TARGET}timeout = \"0s\"\n")),
            "fleet.toml:5: timeout: must be more than zero"
        );
    }

    #[test]
    fn refuses_max_parallel_under_one() {
        assert_eq!(
            refused(&format!("[[wave]]\nmax_parallel = 0\n{}", &TARGET[9..])),
            "fleet.toml:2: max_parallel: 0 is not a number of targets (at least 1)"
        );
        assert_eq!(
            refused(&format!("[[wave]]\nmax_parallel = -3\n{}", &TARGET[9..])),
            "fleet.toml:2: max_parallel: -3 is not a number of targets (at least 1)"
        );
    }

    #[test]
    fn refuses_duplicate_wave_names_naming_both_lines() {
        let text = "[[wave]]\nname = \"eu\"\n[[wave.target]]\ncluster = \"c\"\nservice = \"a\"\n\n[[wave]]\nname = \"eu\"\n[[wave.target]]\ncluster = \"c\"\nservice = \"b\"\n";
        assert_eq!(
            refused(text),
            "fleet.toml:8: the wave name \"eu\" is already used by the wave at line 2"
        );
        // A given name can repeat a default one.
        let text = "[[wave]]\nname = \"wave 2\"\n[[wave.target]]\ncluster = \"c\"\nservice = \"a\"\n[[wave]]\n[[wave.target]]\ncluster = \"c\"\nservice = \"b\"\n";
        assert_eq!(
            refused(text),
            "fleet.toml:6: the wave name \"wave 2\" is already used by the wave at line 2"
        );
    }

    #[test]
    fn refuses_the_same_service_twice_naming_both_lines() {
        let text = "[defaults]\nregion = \"eu-west-1\"\ncluster = \"prod\"\n[[wave]]\n[[wave.target]]\nservice = \"web\"\n[[wave]]\n[[wave.target]]\nservice = \"api\"\n[[wave.target]]\nservice = \"web\"\n";
        assert_eq!(
            refused(text),
            "fleet.toml:10: the service \"web\" of cluster \"prod\" is already a target at line 5 (same region and credentials): a fleet lists each service once"
        );
        // Another Region, or other credentials, is another service.
        accepted(&format!("{TARGET}region = \"eu-west-1\"\n{}", &TARGET[9..]));
        accepted(&format!(
            "{TARGET}profile = \"a\"\n{}profile = \"b\"\n",
            &TARGET[9..]
        ));
    }

    #[test]
    fn a_cluster_or_service_by_arn_is_the_same_as_by_name() {
        let text = "[[wave]]\n[[wave.target]]\nregion = \"eu-west-1\"\ncluster = \"prod\"\nservice = \"web\"\n[[wave.target]]\ncluster = \"arn:aws:ecs:eu-west-1:123456789012:cluster/prod\"\nservice = \"arn:aws:ecs:eu-west-1:123456789012:service/prod/web\"\n";
        assert_eq!(
            refused(text),
            "fleet.toml:6: the service \"arn:aws:ecs:eu-west-1:123456789012:service/prod/web\" of cluster \"arn:aws:ecs:eu-west-1:123456789012:cluster/prod\" is already a target at line 2 (same region and credentials): a fleet lists each service once"
        );
        // A service ARN of the old form (service/NAME) names the same service.
        let text = "[[wave]]\n[[wave.target]]\nregion = \"eu-west-1\"\ncluster = \"prod\"\nservice = \"web\"\n[[wave.target]]\nregion = \"eu-west-1\"\ncluster = \"prod\"\nservice = \"arn:aws:ecs:eu-west-1:123456789012:service/web\"\n";
        assert!(refused(text).starts_with("fleet.toml:6: the service"));
        // The same name in a cluster of another Region is another service.
        accepted(
            "[[wave]]\n[[wave.target]]\nregion = \"eu-west-1\"\ncluster = \"prod\"\nservice = \"web\"\n[[wave.target]]\ncluster = \"arn:aws:ecs:us-east-1:123456789012:cluster/prod\"\nservice = \"web\"\n",
        );
    }

    #[test]
    fn refuses_a_cluster_arn_of_another_region_than_the_target() {
        let text = "[[wave]]\n[[wave.target]]\nregion = \"eu-west-1\"\ncluster = \"arn:aws:ecs:us-east-1:123456789012:cluster/prod\"\nservice = \"web\"\n";
        assert_eq!(
            refused(text),
            "fleet.toml:2: cluster \"arn:aws:ecs:us-east-1:123456789012:cluster/prod\" is in us-east-1, but the target's region is eu-west-1"
        );
    }

    #[test]
    fn refuses_empty_values() {
        assert_eq!(
            refused("[[wave]]\n[[wave.target]]\ncluster = \"\"\nservice = \"web\"\n"),
            "fleet.toml:3: cluster: must not be empty"
        );
        assert_eq!(
            refused(&format!("[[wave]]\nname = \" \"\n{}", &TARGET[9..])),
            "fleet.toml:2: name: a wave name must not be empty"
        );
    }

    #[test]
    fn reports_every_problem_at_once_in_line_order() {
        let message = refused(&format!(
            "[defaults]\ntimeout = \"0s\"\n{TARGET}region = \"x\"\n[[wave]]\nmax_parallel = 0\n"
        ));
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 4, "{message}");
        assert!(lines[0].starts_with("fleet.toml:2: timeout"), "{message}");
        assert!(lines[1].starts_with("fleet.toml:7: region"), "{message}");
        assert!(
            lines[2].starts_with("fleet.toml:8: the wave \"wave 2\" has no targets"),
            "{message}"
        );
        assert!(
            lines[3].starts_with("fleet.toml:9: max_parallel"),
            "{message}"
        );
    }

    #[test]
    fn load_names_a_file_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("fleet.toml");
        let message = load(&missing).unwrap_err();
        assert!(
            message.starts_with(&format!("{}: ", missing.display())),
            "{message}"
        );
        std::fs::write(&missing, TARGET).unwrap();
        let fleet = load(&missing).unwrap();
        assert_eq!(fleet.path, missing);
    }

    #[test]
    fn lines_count_from_one_and_the_end_is_the_last_line() {
        assert_eq!(line_of("a\nb\n", 0), 1);
        assert_eq!(line_of("a\nb\n", 2), 2);
        assert_eq!(line_of("a\nb\n", 4), 2);
        assert_eq!(line_of("a\nb", 3), 2);
        assert_eq!(line_of("", 0), 1);
    }
}
