//! The declarative attribute tables (`stack::schema`) → the protocol layer's `Schema`.

use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting as WireNesting, Schema};
use tfplugin::value::Type;

use super::schema::{AttrDef, AttrType, BlockDef, Mode, Nesting, ResourceDef, SCHEMA_VERSION};

pub fn resource_schema(def: &ResourceDef) -> Schema {
    Schema::new(
        SCHEMA_VERSION,
        block(def.description, &def.attributes, &def.blocks),
    )
}

pub fn provider_schema(def: &ResourceDef) -> Schema {
    Schema::new(0, block(def.description, &def.attributes, &def.blocks))
}

fn block(description: &str, attributes: &[AttrDef], blocks: &[BlockDef]) -> Block {
    let mut out = Block::new(description);
    for attr in attributes {
        out = out.attribute(attribute(attr));
    }
    for nested in blocks {
        let nesting = match nested.nesting {
            Nesting::Group => WireNesting::Group,
            Nesting::Single => WireNesting::Single,
        };
        let inner = block(nested.description, &nested.attributes, &[]);
        out = out.block(NestedBlock::new(nested.name, nesting, inner));
    }
    out
}

fn attribute(def: &AttrDef) -> Attribute {
    let ty = wire_type(def.ty);
    let description = describe(def);
    let attr = match def.mode {
        Mode::Required => Attribute::required(def.name, ty, description),
        Mode::Optional => Attribute::optional(def.name, ty, description),
        Mode::OptionalComputed => Attribute::optional_computed(def.name, ty, description),
        Mode::Computed => Attribute::computed(def.name, ty, description),
    };
    let attr = if def.sensitive {
        attr.sensitive()
    } else {
        attr
    };
    if def.write_only {
        attr.write_only()
    } else {
        attr
    }
}

/// The description with its default spelled out, so docs and `terraform providers schema`
/// show every default.
fn describe(def: &AttrDef) -> String {
    use super::schema::Default;
    let default = match def.default {
        Some(Default::Str(s)) => format!(" Default: `{s:?}`."),
        Some(Default::Int(n)) => format!(" Default: `{n}`."),
        Some(Default::Float(f)) => format!(" Default: `{f}`."),
        Some(Default::Bool(b)) => format!(" Default: `{b}`."),
        Some(Default::EmptyList) => " Default: `[]`.".to_string(),
        None => String::new(),
    };
    format!("{}{default}", def.description)
}

pub fn wire_type(ty: AttrType) -> Type {
    match ty {
        AttrType::String => Type::String,
        AttrType::Number => Type::Number,
        AttrType::Bool => Type::Bool,
        AttrType::StringList => Type::list(Type::String),
        AttrType::StringMap => Type::map(Type::String),
    }
}
