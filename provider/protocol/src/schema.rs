//! Schemas as the provider declares them: [`Schema`] (a versioned [`Block`]), [`Attribute`]s
//! and [`NestedBlock`]s, with builders, conversion to the protocol's messages, and
//! [`Block::value_type`], the object type Terraform uses for configuration, plan and state.
//!
//! ```
//! use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
//! use tfplugin::value::Type;
//! let schema = Schema::new(
//!     1,
//!     Block::new("A server.")
//!         .attribute(Attribute::required("name", Type::String, "Server name."))
//!         .attribute(Attribute::computed("id", Type::String, "Same as name."))
//!         .block(NestedBlock::new(
//!             "network",
//!             Nesting::Single,
//!             Block::new("Network tier.")
//!                 .attribute(Attribute::optional_computed("cidr", Type::String, "Address range.")),
//!         )),
//! );
//! assert!(matches!(schema.value_type(), Type::Object(attrs) if attrs.contains_key("network")));
//! ```
//!
//! Descriptions are sent as Markdown.

use std::collections::BTreeMap;

use crate::proto::tfplugin6 as pb;
use crate::value::{Type, Value};

/// A resource's or the provider's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Bumped when the state's shape changes; Terraform then calls UpgradeResourceState
    /// with the old version.
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
    /// Sent in configuration, never stored: every plan, state and read carries it as null
    /// (protocol 6.8+; only clients announcing `write_only_attributes_allowed` honour it).
    pub write_only: bool,
}

/// How a nested block appears in configuration and in values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; its value is an object, or null when absent.
    Single,
    /// Like `Single`, but the value is never null: absent means every attribute null.
    Group,
    /// Blocks in order; a list of objects (empty, never null, when absent).
    List,
    /// Unordered blocks; a set of objects (empty, never null, when absent).
    Set,
    /// Labelled blocks; a map of objects keyed by label.
    Map,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    /// The object type of this schema's values.
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

impl Block {
    pub fn new(description: impl Into<String>) -> Block {
        Block {
            description: description.into(),
            ..Block::default()
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, block: NestedBlock) -> Block {
        self.blocks.push(block);
        self
    }

    pub fn deprecated(mut self) -> Block {
        self.deprecated = true;
        self
    }

    /// The attribute named `name`, if declared directly in this block.
    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name == name)
    }

    /// The nested block named `name`, if declared directly in this block.
    pub fn find_block(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|block| block.type_name == name)
    }

    /// The object type holding every attribute and nested block of this block.
    pub fn value_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|attribute| (attribute.name.clone(), attribute.ty.clone()));
        let blocks = self
            .blocks
            .iter()
            .map(|block| (block.type_name.clone(), block.value_type()));
        Type::Object(attributes.chain(blocks).collect::<BTreeMap<_, _>>())
    }

    /// Whether this block or a nested one declares a write-only attribute.
    pub fn has_write_only(&self) -> bool {
        self.attributes.iter().any(|a| a.write_only)
            || self.blocks.iter().any(|b| b.block.has_write_only())
    }

    /// The paths (attribute names from this block down) of every write-only attribute set
    /// (non-null) in `value`, for diagnostics.
    pub fn write_only_set(&self, value: &Value) -> Vec<Vec<String>> {
        let mut found = Vec::new();
        self.collect_write_only(value, &mut Vec::new(), &mut found);
        found
    }

    fn collect_write_only(
        &self,
        value: &Value,
        at: &mut Vec<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        for attribute in self.attributes.iter().filter(|a| a.write_only) {
            if !value.attr(&attribute.name).is_null() {
                let mut path = at.clone();
                path.push(attribute.name.clone());
                found.push(path);
            }
        }
        for nested in &self.blocks {
            at.push(nested.type_name.clone());
            for item in nested.objects(value.attr(&nested.type_name)) {
                nested.block.collect_write_only(item, at, found);
            }
            at.pop();
        }
    }

    /// Sets every write-only attribute in `value` (this block's value) to null: what every
    /// response carrying a plan or a state must say of them.
    pub fn null_write_only(&self, value: &mut Value) {
        if value.is_null() || value.is_unknown() {
            return;
        }
        for attribute in self.attributes.iter().filter(|a| a.write_only) {
            value.set_attr(&attribute.name, Value::Null);
        }
        for nested in self.blocks.iter().filter(|b| b.block.has_write_only()) {
            if let Some(inner) = value.attr_mut(&nested.type_name) {
                match inner {
                    Value::List(items) | Value::Set(items) => items
                        .iter_mut()
                        .for_each(|item| nested.block.null_write_only(item)),
                    Value::Map(items) if nested.nesting == Nesting::Map => items
                        .values_mut()
                        .for_each(|item| nested.block.null_write_only(item)),
                    other => nested.block.null_write_only(other),
                }
            }
        }
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

impl Attribute {
    fn new(name: impl Into<String>, ty: Type, description: impl Into<String>) -> Attribute {
        Attribute {
            name: name.into(),
            ty,
            description: description.into(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            write_only: false,
        }
    }

    /// Must be set in configuration.
    pub fn required(
        name: impl Into<String>,
        ty: Type,
        description: impl Into<String>,
    ) -> Attribute {
        Attribute {
            required: true,
            ..Attribute::new(name, ty, description)
        }
    }

    /// May be set in configuration; null when not set.
    pub fn optional(
        name: impl Into<String>,
        ty: Type,
        description: impl Into<String>,
    ) -> Attribute {
        Attribute {
            optional: true,
            ..Attribute::new(name, ty, description)
        }
    }

    /// Set by the provider only.
    pub fn computed(
        name: impl Into<String>,
        ty: Type,
        description: impl Into<String>,
    ) -> Attribute {
        Attribute {
            computed: true,
            ..Attribute::new(name, ty, description)
        }
    }

    /// May be set in configuration; the provider fills it (e.g. a default) when not set.
    pub fn optional_computed(
        name: impl Into<String>,
        ty: Type,
        description: impl Into<String>,
    ) -> Attribute {
        Attribute {
            optional: true,
            computed: true,
            ..Attribute::new(name, ty, description)
        }
    }

    /// Hidden in plan output and logs.
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    pub fn deprecated(mut self) -> Attribute {
        self.deprecated = true;
        self
    }

    /// Configuration only: never planned or stored (see [`Attribute::write_only`]).
    pub fn write_only(mut self) -> Attribute {
        self.write_only = true;
        self
    }

    fn to_proto(&self) -> pb::schema::Attribute {
        pb::schema::Attribute {
            name: self.name.clone(),
            r#type: self.ty.to_json_bytes(),
            nested_type: None,
            description: self.description.clone(),
            required: self.required,
            optional: self.optional,
            computed: self.computed,
            sensitive: self.sensitive,
            description_kind: pb::StringKind::Markdown as i32,
            deprecated: self.deprecated,
            write_only: self.write_only,
        }
    }
}

impl NestedBlock {
    /// A nested block with no item limits (SINGLE and GROUP blocks hold at most one anyway).
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> NestedBlock {
        NestedBlock {
            type_name: type_name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    /// Item limits for LIST and SET blocks (0 = unlimited). Terraform itself checks them.
    pub fn items(mut self, min_items: i64, max_items: i64) -> NestedBlock {
        self.min_items = min_items;
        self.max_items = max_items;
        self
    }

    /// The objects a value of this block holds: one for SINGLE and GROUP, each element for
    /// the collections.
    fn objects<'v>(&self, value: &'v Value) -> Vec<&'v Value> {
        match (self.nesting, value) {
            (_, Value::List(items)) | (_, Value::Set(items)) => items.iter().collect(),
            (Nesting::Map, Value::Map(items)) => items.values().collect(),
            (_, value) if value.is_null() || value.is_unknown() => Vec::new(),
            (_, value) => vec![value],
        }
    }

    /// The type of this block's value inside its parent object.
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }

    fn to_proto(&self) -> pb::schema::NestedBlock {
        use pb::schema::nested_block::NestingMode;
        let nesting = match self.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::Group => NestingMode::Group,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        };
        pb::schema::NestedBlock {
            type_name: self.type_name.clone(),
            block: Some(self.block.to_proto(0)),
            nesting: nesting as i32,
            min_items: self.min_items,
            max_items: self.max_items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Schema {
        Schema::new(
            2,
            Block::new("root")
                .attribute(Attribute::required("name", Type::String, "n"))
                .attribute(Attribute::optional_computed("password", Type::String, "p").sensitive())
                .block(NestedBlock::new(
                    "single",
                    Nesting::Single,
                    Block::new("s").attribute(Attribute::optional("a", Type::Number, "a")),
                ))
                .block(
                    NestedBlock::new(
                        "rules",
                        Nesting::List,
                        Block::new("r").attribute(Attribute::required("port", Type::Number, "p")),
                    )
                    .items(1, 3),
                )
                .block(NestedBlock::new("tagged", Nesting::Set, Block::new("t")))
                .block(NestedBlock::new("labelled", Nesting::Map, Block::new("l"))),
        )
    }

    #[test]
    fn value_type_nests_blocks_by_mode() {
        let Type::Object(attributes) = sample().value_type() else {
            panic!("schema type must be an object");
        };
        assert_eq!(attributes["name"], Type::String);
        assert_eq!(attributes["single"], Type::object([("a", Type::Number)]));
        assert_eq!(
            attributes["rules"],
            Type::list(Type::object([("port", Type::Number)]))
        );
        assert_eq!(attributes["tagged"], Type::set(Type::object::<String>([])));
        assert_eq!(
            attributes["labelled"],
            Type::map(Type::object::<String>([]))
        );
    }

    #[test]
    fn proto_carries_flags_types_and_nesting() {
        let proto = sample().to_proto();
        assert_eq!(proto.version, 2);
        let block = proto.block.expect("block");
        assert_eq!(block.version, 2);
        assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
        let password = &block.attributes[1];
        assert!(password.optional && password.computed && password.sensitive);
        assert!(!password.required);
        assert_eq!(password.r#type, br#""string""#.to_vec());
        let rules = &block.block_types[1];
        assert_eq!(
            rules.nesting,
            pb::schema::nested_block::NestingMode::List as i32
        );
        assert_eq!((rules.min_items, rules.max_items), (1, 3));
    }

    #[test]
    fn write_only_attributes_are_found_and_nulled_at_any_depth() {
        let block = Block::new("root")
            .attribute(Attribute::optional("secret", Type::String, "s").write_only())
            .attribute(Attribute::optional("kept", Type::String, "k"))
            .block(NestedBlock::new(
                "db",
                Nesting::Group,
                Block::new("d")
                    .attribute(Attribute::optional("pw", Type::String, "p").write_only()),
            ))
            .block(NestedBlock::new(
                "rules",
                Nesting::List,
                Block::new("r")
                    .attribute(Attribute::optional("token", Type::String, "t").write_only()),
            ));
        assert!(block.has_write_only());
        let mut value = Value::object_of([
            ("secret", Value::from("a")),
            ("kept", Value::from("b")),
            ("db", Value::object_of([("pw", Value::from("c"))])),
            (
                "rules",
                Value::List(vec![Value::object_of([("token", Value::from("d"))])]),
            ),
        ]);
        assert_eq!(
            block.write_only_set(&value),
            [
                vec!["secret".to_string()],
                vec!["db".into(), "pw".into()],
                vec!["rules".into(), "token".into()]
            ]
        );
        block.null_write_only(&mut value);
        assert!(value.attr("secret").is_null());
        assert_eq!(value.attr("kept"), &Value::from("b"));
        assert!(value.attr("db").attr("pw").is_null());
        assert!(value.attr("rules").as_list().expect("list")[0]
            .attr("token")
            .is_null());
        assert!(block.write_only_set(&value).is_empty());
        let proto = Schema::new(0, block).to_proto();
        assert!(proto.block.expect("block").attributes[0].write_only);
    }

    #[test]
    fn lookups_find_declared_names_only() {
        let schema = sample();
        assert!(schema.block.find_attribute("name").is_some());
        assert!(schema.block.find_attribute("rules").is_none());
        assert_eq!(
            schema.block.find_block("rules").map(|b| b.nesting),
            Some(Nesting::List)
        );
    }
}
