//! Schemas: what a provider, resource or data source accepts and returns. Written once, they
//! drive the wire encoding (through [`Block::value_type`]), Terraform's validation, and the
//! generated registry documentation (descriptions).

use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::value::Type;

/// A versioned schema for a resource, data source or the provider itself.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Bump when stored state needs an upgrade; `UpgradeResourceState` then receives the old version.
    pub version: i64,
    pub block: Block,
}

/// Attributes and nested blocks at one level.
#[derive(Clone, Debug, Default)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecated: bool,
}

/// Whether the user sets an attribute, the provider does, or either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set by the user, or by the provider when the user does not.
    OptionalComputed,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub mode: Mode,
    pub description: String,
    pub sensitive: bool,
    pub deprecated: bool,
}

/// How many instances of a nested block there are and how they are keyed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl Attribute {
    pub fn new(name: &str, ty: Type, mode: Mode, description: &str) -> Self {
        Self {
            name: name.to_string(),
            ty,
            mode,
            description: description.to_string(),
            sensitive: false,
            deprecated: false,
        }
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.clone(),
            r#type: self.ty.to_json_bytes(),
            nested_type: None,
            description: self.description.clone(),
            required: self.mode == Mode::Required,
            optional: matches!(self.mode, Mode::Optional | Mode::OptionalComputed),
            computed: self.is_computed(),
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated,
            write_only: false,
        }
    }
}

impl NestedBlock {
    pub fn new(name: &str, nesting: Nesting, block: Block) -> Self {
        Self {
            name: name.to_string(),
            nesting,
            block,
            min_items: 0,
            max_items: if nesting == Nesting::Single { 1 } else { 0 },
        }
    }

    /// The value type of this block as it appears in its parent object.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
        }
    }

    fn to_proto(&self) -> pb::schema::NestedBlock {
        use pb::schema::nested_block::NestingMode;
        pb::schema::NestedBlock {
            type_name: self.name.clone(),
            block: Some(self.block.to_proto(0)),
            nesting: match self.nesting {
                Nesting::Single => NestingMode::Single,
                Nesting::List => NestingMode::List,
                Nesting::Set => NestingMode::Set,
            } as i32,
            min_items: self.min_items,
            // Terraform rejects max_items on SINGLE blocks other than 0 or 1.
            max_items: if self.nesting == Nesting::Single {
                0
            } else {
                self.max_items
            },
        }
    }
}

impl Block {
    /// The object type of this block's values: every attribute and nested block.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .chain(self.blocks.iter().map(|b| (b.name.clone(), b.value_type()))),
        )
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    fn to_proto(&self, version: i64) -> pb::schema::Block {
        pb::schema::Block {
            version,
            attributes: self.attributes.iter().map(Attribute::to_proto).collect(),
            block_types: self.blocks.iter().map(NestedBlock::to_proto).collect(),
            description: self.description.clone(),
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated,
        }
    }
}

impl Schema {
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    pub fn to_proto(&self) -> pb::Schema {
        pb::Schema {
            version: self.version,
            block: Some(self.block.to_proto(self.version)),
        }
    }
}

/// A resource type's identity (Terraform 1.12+): the attributes that name one instance in
/// the remote system, independent of its configuration. Import blocks may give it instead of
/// an ID, and `terraform query` results carry it.
#[derive(Clone, Debug, Default)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Clone, Debug)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    /// Required in an import block's `identity` (otherwise optional there).
    pub required_for_import: bool,
    pub description: String,
}

impl IdentitySchema {
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone())),
        )
    }

    pub fn to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: self.version,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.clone(),
                    r#type: a.ty.to_json_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: !a.required_for_import,
                    description: a.description.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_type_includes_attributes_and_nested_blocks() {
        let block = Block {
            attributes: vec![Attribute::new("a", Type::String, Mode::Required, "")],
            blocks: vec![NestedBlock::new(
                "b",
                Nesting::List,
                Block {
                    attributes: vec![Attribute::new("c", Type::Number, Mode::Optional, "")],
                    ..Block::default()
                },
            )],
            ..Block::default()
        };
        let expected = Type::object([
            ("a", Type::String),
            ("b", Type::list(Type::object([("c", Type::Number)]))),
        ]);
        assert_eq!(block.value_type(), expected);
    }

    #[test]
    fn modes_map_to_exactly_one_flag_or_optional_computed() {
        let proto = |mode| Attribute::new("x", Type::String, mode, "").to_proto();
        let r = proto(Mode::Required);
        assert!(r.required && !r.optional && !r.computed);
        let c = proto(Mode::Computed);
        assert!(!c.required && !c.optional && c.computed);
        let oc = proto(Mode::OptionalComputed);
        assert!(!oc.required && oc.optional && oc.computed);
    }
}
