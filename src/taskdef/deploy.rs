//! The pure decisions of a deploy: which image each container gets, and how an app-side
//! overlay merges into the template. Shared by every front end that renders.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

/// Images for a deploy and the containers whose image CI owns afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployImages {
    pub images: BTreeMap<String, String>,
    pub ci_images: BTreeSet<String>,
}

/// Why a deploy's images cannot be decided.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImageError {
    #[error("--image {0}: the template has no container named {0:?} (it has: {1})")]
    UnknownContainer(String, String),
}

/// `--image` wins; containers CI set before keep their live image; every other container
/// takes the template's image (so a template image change reaches the service).
pub fn deploy_images(
    template: &BTreeMap<String, String>,
    live: &BTreeMap<String, String>,
    live_ci_images: &BTreeSet<String>,
    overrides: &BTreeMap<String, String>,
) -> Result<DeployImages, ImageError> {
    for name in overrides.keys() {
        if !template.contains_key(name) {
            let known: Vec<&str> = template.keys().map(String::as_str).collect();
            return Err(ImageError::UnknownContainer(name.clone(), known.join(", ")));
        }
    }
    let mut images = BTreeMap::new();
    let mut ci_images = BTreeSet::new();
    for (name, template_image) in template {
        let image = if let Some(image) = overrides.get(name) {
            ci_images.insert(name.clone());
            image.clone()
        } else if let (true, Some(image)) = (live_ci_images.contains(name), live.get(name)) {
            ci_images.insert(name.clone());
            image.clone()
        } else {
            template_image.clone()
        };
        images.insert(name.clone(), image);
    }
    Ok(DeployImages { images, ci_images })
}

/// The `ecstpl:ci-images` tag value and back: names separated by spaces, since ECS refuses a
/// comma in a tag value (letters, digits, spaces and `_ . : / = + - @` only) and container
/// names hold none of these. Commas are still read, for values written by hand.
pub fn ci_images_tag(names: &BTreeSet<String>) -> String {
    names.iter().cloned().collect::<Vec<_>>().join(" ")
}

pub fn parse_ci_images_tag(value: &str) -> BTreeSet<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Why an overlay cannot be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OverlayError {
    #[error("the overlay must be a JSON object (a partial task definition)")]
    NotAnObject,
    #[error("overlay containerDefinitions[{0}] has no \"name\": containers are merged by name")]
    ContainerWithoutName(usize),
    #[error("overlay {0:?} must be {1}")]
    WrongShape(String, &'static str),
    #[error(
        "overlay containerDefinitions names {0:?}, which the template does not have (it has: {1}); a container the overlay adds needs its own \"image\""
    )]
    UnknownContainer(String, String),
}

/// Keys of a task definition an overlay may not set: ownership belongs to ecstpl.
const NOT_OVERLAID: &[&str] = &["family", "tags"];

/// Merges an app-side partial task definition into `definition`: containers by name (new
/// names are added); in a container, `environment` and `secrets` are upserted by name, every
/// other key replaced; task-level keys replaced. `family` and `tags` are ignored.
pub fn apply_overlay(
    definition: &mut Map<String, Json>,
    overlay: &Json,
) -> Result<(), OverlayError> {
    let overlay = overlay.as_object().ok_or(OverlayError::NotAnObject)?;
    for (key, value) in overlay {
        if NOT_OVERLAID.contains(&key.as_str()) || key == "containerDefinitions" {
            continue;
        }
        definition.insert(key.clone(), value.clone());
    }
    let Some(containers) = overlay.get("containerDefinitions") else {
        return Ok(());
    };
    let containers = containers.as_array().ok_or_else(|| {
        OverlayError::WrongShape("containerDefinitions".into(), "a list of containers")
    })?;
    let target = definition
        .entry("containerDefinitions")
        .or_insert_with(|| Json::Array(Vec::new()));
    let Json::Array(target) = target else {
        return Err(OverlayError::WrongShape(
            "containerDefinitions".into(),
            "a list of containers",
        ));
    };
    for (index, patch) in containers.iter().enumerate() {
        let patch = patch.as_object().ok_or_else(|| {
            OverlayError::WrongShape(format!("containerDefinitions[{index}]"), "an object")
        })?;
        let name = patch
            .get("name")
            .and_then(Json::as_str)
            .ok_or(OverlayError::ContainerWithoutName(index))?;
        let existing = target
            .iter_mut()
            .filter_map(Json::as_object_mut)
            .find(|c| c.get("name").and_then(Json::as_str) == Some(name));
        let Some(container) = existing else {
            if patch.get("image").and_then(Json::as_str).is_none() {
                let known: Vec<&str> = target
                    .iter()
                    .filter_map(|c| c.get("name").and_then(Json::as_str))
                    .collect();
                return Err(OverlayError::UnknownContainer(
                    name.to_string(),
                    known.join(", "),
                ));
            }
            target.push(Json::Object(patch.clone()));
            continue;
        };
        for (key, value) in patch {
            if key == "environment" || key == "secrets" {
                upsert_by_name(container, key, value)?;
            } else {
                container.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(())
}

fn upsert_by_name(
    container: &mut Map<String, Json>,
    key: &str,
    patch: &Json,
) -> Result<(), OverlayError> {
    let entries = patch
        .as_array()
        .ok_or_else(|| OverlayError::WrongShape(key.into(), "a list of {\"name\", …} objects"))?;
    let list = container
        .entry(key)
        .or_insert_with(|| Json::Array(Vec::new()));
    if !list.is_array() {
        *list = Json::Array(Vec::new());
    }
    let Json::Array(list) = list else {
        return Ok(());
    };
    for entry in entries {
        let name = entry.get("name").and_then(Json::as_str).ok_or_else(|| {
            OverlayError::WrongShape(key.into(), "a list of {\"name\", …} objects")
        })?;
        match list
            .iter_mut()
            .find(|e| e.get("name").and_then(Json::as_str) == Some(name))
        {
            Some(existing) => *existing = entry.clone(),
            None => list.push(entry.clone()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn images_flag_wins_then_ci_owned_live_then_template() {
        let template = map(&[("app", "placeholder"), ("envoy", "envoy:1.30")]);
        let live = map(&[("app", "repo:v1"), ("envoy", "envoy:1.29")]);
        let ci: BTreeSet<String> = ["app".to_string()].into();
        // No --image: app keeps repo:v1 (CI owns it), envoy takes the template's new image.
        let decided = deploy_images(&template, &live, &ci, &BTreeMap::new()).unwrap();
        assert_eq!(
            decided.images,
            map(&[("app", "repo:v1"), ("envoy", "envoy:1.30")])
        );
        assert_eq!(decided.ci_images, ci);
        // --image app=repo:v2 wins.
        let decided = deploy_images(&template, &live, &ci, &map(&[("app", "repo:v2")])).unwrap();
        assert_eq!(decided.images["app"], "repo:v2");
        // An unknown container is an error naming the ones there are.
        let err = deploy_images(&template, &live, &ci, &map(&[("web", "x")])).unwrap_err();
        assert!(err.to_string().contains("app, envoy"));
        // First deploy after bootstrap: nothing is CI-owned yet.
        let decided =
            deploy_images(&template, &template, &BTreeSet::new(), &BTreeMap::new()).unwrap();
        assert_eq!(decided.images, template);
        assert!(decided.ci_images.is_empty());
    }

    #[test]
    fn ci_images_tag_round_trips() {
        let names: BTreeSet<String> = ["app".into(), "worker".into()].into();
        assert_eq!(ci_images_tag(&names), "app worker");
        assert_eq!(parse_ci_images_tag(&ci_images_tag(&names)), names);
        assert_eq!(parse_ci_images_tag("app, worker,"), names);
        assert!(crate::taskdef::check_tag("ecstpl:ci-images", &ci_images_tag(&names)).is_ok());
    }

    #[test]
    fn overlay_upserts_environment_and_secrets_by_name() {
        let mut definition = json!({"family": "web-template", "memory": "512", "containerDefinitions": [
            {"name": "app", "image": "x", "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
             "secrets": [{"name": "S", "valueFrom": "arn:1"}]}
        ]}).as_object().unwrap().clone();
        let overlay = json!({"family": "ignored", "memory": "1024", "containerDefinitions": [
            {"name": "app", "environment": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}],
             "secrets": [{"name": "T", "valueFrom": "arn:2"}], "command": ["serve"]},
            {"name": "sidecar", "image": "s:1"}
        ]});
        apply_overlay(&mut definition, &overlay).unwrap();
        assert_eq!(definition["family"], "web-template");
        assert_eq!(definition["memory"], "1024");
        let app = &definition["containerDefinitions"][0];
        assert_eq!(
            app["environment"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "20"}, {"name": "C", "value": "3"}])
        );
        assert_eq!(
            app["secrets"],
            json!([{"name": "S", "valueFrom": "arn:1"}, {"name": "T", "valueFrom": "arn:2"}])
        );
        assert_eq!(app["command"], json!(["serve"]));
        assert_eq!(definition["containerDefinitions"][1]["name"], "sidecar");
    }

    #[test]
    fn overlay_errors_say_what_is_wrong() {
        let mut definition = Map::new();
        assert_eq!(
            apply_overlay(&mut definition, &json!([1])),
            Err(OverlayError::NotAnObject)
        );
        assert_eq!(
            apply_overlay(
                &mut definition,
                &json!({"containerDefinitions": [{"image": "x"}]})
            ),
            Err(OverlayError::ContainerWithoutName(0))
        );
        let mut definition = json!({"containerDefinitions": [{"name": "app", "image": "x"}]})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            apply_overlay(
                &mut definition,
                &json!({"containerDefinitions": [{"name": "ap", "environment": []}]})
            ),
            Err(OverlayError::UnknownContainer("ap".into(), "app".into()))
        );
    }
}
