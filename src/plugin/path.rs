//! Attribute paths: where in a value a diagnostic or an error points (`volume[0].name`).

use std::fmt;

use crate::plugin::proto::tfplugin6 as pb;
use pb::attribute_path::step::Selector;

/// A path from the root of a resource's value to one attribute or element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AttributePath {
    pub steps: Vec<PathStep>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An attribute of an object.
    Attribute(String),
    /// An element of a map.
    ElementKeyString(String),
    /// An element of a list or tuple.
    ElementKeyInt(i64),
}

impl AttributePath {
    /// The root (empty path).
    pub fn new() -> Self {
        Self::default()
    }

    /// A path to a top-level attribute.
    pub fn root(name: impl Into<String>) -> Self {
        Self::new().attr(name)
    }

    pub fn attr(mut self, name: impl Into<String>) -> Self {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.steps.push(PathStep::ElementKeyString(key.into()));
        self
    }

    pub fn index(mut self, index: i64) -> Self {
        self.steps.push(PathStep::ElementKeyInt(index));
        self
    }

    pub fn push(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

impl From<&AttributePath> for pb::AttributePath {
    fn from(path: &AttributePath) -> Self {
        let steps = path
            .steps
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect();
        pb::AttributePath { steps }
    }
}

impl From<&pb::AttributePath> for AttributePath {
    fn from(path: &pb::AttributePath) -> Self {
        let steps = path
            .steps
            .iter()
            .filter_map(|step| {
                Some(match step.selector.as_ref()? {
                    Selector::AttributeName(name) => PathStep::Attribute(name.clone()),
                    Selector::ElementKeyString(key) => PathStep::ElementKeyString(key.clone()),
                    Selector::ElementKeyInt(index) => PathStep::ElementKeyInt(*index),
                })
            })
            .collect();
        AttributePath { steps }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform_addresses() {
        let path = AttributePath::root("volume").index(0).attr("name");
        assert_eq!(path.to_string(), "volume[0].name");
        assert_eq!(
            AttributePath::root("tags").key("env").to_string(),
            "tags[\"env\"]"
        );
    }

    #[test]
    fn round_trips_through_the_wire_form() {
        let path = AttributePath::root("a").key("k").index(3).attr("b");
        let wire = pb::AttributePath::from(&path);
        assert_eq!(wire.steps.len(), 4);
        assert_eq!(AttributePath::from(&wire), path);
    }
}
