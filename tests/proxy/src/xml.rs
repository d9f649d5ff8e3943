//! Just enough XML for AWS responses: element values, and rewriting one element of the object
//! block that holds a given id. AWS responses are machine-written and well-formed, so a tag
//! scanner with a stack is enough; no entity handling is needed for ids and state names.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Open,
    Close,
    Empty,
}

#[derive(Debug, Clone)]
struct Tag<'a> {
    name: &'a str,
    kind: TagKind,
    /// Byte range of the tag itself, `<` to `>` inclusive.
    span: Range<usize>,
}

/// Every element tag in document order (declarations, comments and CDATA skipped).
fn tags(body: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut cursor = 0;
    std::iter::from_fn(move || loop {
        let start = cursor + body[cursor..].find('<')?;
        let end = start + body[start..].find('>')? + 1;
        cursor = end;
        let inner = &body[start + 1..end - 1];
        if inner.starts_with('?') || inner.starts_with('!') {
            continue;
        }
        let (kind, inner) = match inner.strip_prefix('/') {
            Some(rest) => (TagKind::Close, rest),
            None if inner.ends_with('/') => (TagKind::Empty, &inner[..inner.len() - 1]),
            None => (TagKind::Open, inner),
        };
        let name = inner
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        return Some(Tag {
            name,
            kind,
            span: start..end,
        });
    })
}

/// The text of every `<tag>…</tag>`, in order.
pub fn element_values(body: &str, tag: &str) -> Vec<String> {
    tags(body)
        .filter(|t| t.kind == TagKind::Open && t.name == tag)
        .filter_map(|t| text_after(body, t.span.end).map(|(text, _)| text.trim().to_string()))
        .collect()
}

/// The text between position `from` and the next tag, with its range.
fn text_after(body: &str, from: usize) -> Option<(&str, Range<usize>)> {
    let end = from + body[from..].find('<')?;
    Some((&body[from..end], from..end))
}

/// In each object block (the innermost enclosing element named one of `block_tags`) whose
/// `<id_tag>` value `new_state` maps to `Some(state)`, replace the text of the first
/// `<state_tag>` with that state. Returns `None` when nothing changed.
pub fn rewrite_states<'s>(
    body: &str,
    id_tag: &str,
    block_tags: &[&str],
    state_tag: &str,
    new_state: impl Fn(&str) -> Option<&'s str>,
) -> Option<String> {
    let blocks = marked_blocks(body, id_tag, block_tags, new_state);
    let mut edits: Vec<(Range<usize>, &str)> = blocks
        .into_iter()
        .filter_map(|(block, state)| {
            first_value_range(body, block, state_tag).map(|range| (range, state))
        })
        .collect();
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|(range, _)| range.start);
    edits.dedup_by_key(|(range, _)| range.start);
    let mut out = body.to_string();
    for (range, state) in edits.into_iter().rev() {
        out.replace_range(range, state);
    }
    Some(out)
}

/// The byte ranges of the blocks (innermost enclosing elements named one of `block_tags`)
/// whose `<id_tag>` value satisfies `wanted`, in document order.
pub fn blocks_where(
    body: &str,
    id_tag: &str,
    block_tags: &[&str],
    wanted: impl Fn(&str) -> bool,
) -> Vec<Range<usize>> {
    let mut blocks: Vec<Range<usize>> =
        marked_blocks(body, id_tag, block_tags, |id| wanted(id).then_some(""))
            .into_iter()
            .map(|(range, _)| range)
            .collect();
    blocks.sort_by_key(|range| range.start);
    blocks
}

/// The content range (between the tags) of the first `<tag>…</tag>` inside `block`.
pub fn child_content(body: &str, block: Range<usize>, tag: &str) -> Option<Range<usize>> {
    let slice = &body[block.clone()];
    let mut depth = 0usize;
    let mut start = None;
    for t in tags(slice).filter(|t| t.name == tag) {
        match t.kind {
            TagKind::Empty => {}
            TagKind::Open => {
                if depth == 0 && start.is_none() {
                    start = Some(t.span.end);
                }
                depth += 1;
            }
            TagKind::Close => {
                depth = depth.saturating_sub(1);
                if let (0, Some(from)) = (depth, start) {
                    return Some(block.start + from..block.start + t.span.start);
                }
            }
        }
    }
    None
}

/// The content ranges of every `<tag>…</tag>` directly inside `block` (an element of the same
/// name nested in one is part of its content, not another entry).
pub fn child_contents(body: &str, block: Range<usize>, tag: &str) -> Vec<Range<usize>> {
    let slice = &body[block.clone()];
    let mut depth = 0usize;
    let mut start = 0;
    let mut found = Vec::new();
    for t in tags(slice).filter(|t| t.name == tag) {
        match t.kind {
            TagKind::Empty => {
                if depth == 0 {
                    let at = block.start + t.span.end;
                    found.push(at..at);
                }
            }
            TagKind::Open => {
                if depth == 0 {
                    start = t.span.end;
                }
                depth += 1;
            }
            TagKind::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    found.push(block.start + start..block.start + t.span.start);
                }
            }
        }
    }
    found
}

/// `body` with the given ranges (not overlapping) removed; `None` when there are none.
pub fn remove_ranges(body: &str, mut ranges: Vec<Range<usize>>) -> Option<String> {
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_by_key(|range| range.start);
    let mut out = body.to_string();
    for range in ranges.into_iter().rev() {
        out.replace_range(range, "");
    }
    Some(out)
}

/// The byte ranges of the blocks to rewrite, with the state each should read.
fn marked_blocks<'s>(
    body: &str,
    id_tag: &str,
    block_tags: &[&str],
    new_state: impl Fn(&str) -> Option<&'s str>,
) -> Vec<(Range<usize>, &'s str)> {
    // (name, start of the open tag, state to apply once the element closes)
    let mut stack: Vec<(&str, usize, Option<&'s str>)> = Vec::new();
    let mut blocks = Vec::new();
    for tag in tags(body) {
        match tag.kind {
            TagKind::Empty => {}
            TagKind::Open => {
                if tag.name == id_tag {
                    let id = text_after(body, tag.span.end)
                        .map(|(text, _)| text.trim())
                        .unwrap_or("");
                    if let Some(state) = new_state(id) {
                        if let Some(frame) = stack
                            .iter_mut()
                            .rev()
                            .find(|(name, _, _)| block_tags.contains(name))
                        {
                            frame.2 = Some(state);
                        }
                    }
                }
                stack.push((tag.name, tag.span.start, None));
            }
            TagKind::Close => {
                while let Some((name, start, mark)) = stack.pop() {
                    if let Some(state) = mark {
                        blocks.push((start..tag.span.end, state));
                    }
                    if name == tag.name {
                        break;
                    }
                }
            }
        }
    }
    blocks
}

/// The text range of the first `<tag>` inside `block`.
fn first_value_range(body: &str, block: Range<usize>, tag: &str) -> Option<Range<usize>> {
    let slice = &body[block.clone()];
    let open = tags(slice).find(|t| t.kind == TagKind::Open && t.name == tag)?;
    let (_, range) = text_after(slice, open.span.end)?;
    Some(block.start + range.start..block.start + range.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NATS: &str = r#"<?xml version="1.0"?><DescribeNatGatewaysResponse><natGatewaySet>
<item><natGatewayAddressSet><item><allocationId>eipalloc-1</allocationId></item></natGatewayAddressSet>
<natGatewayId>nat-1</natGatewayId><state>available</state><tagSet><item><key>k</key><value>v</value></item></tagSet></item>
<item><state>available</state><natGatewayId>nat-2</natGatewayId></item>
</natGatewaySet></DescribeNatGatewaysResponse>"#;

    #[test]
    fn values_are_found_in_order() {
        assert_eq!(element_values(NATS, "natGatewayId"), vec!["nat-1", "nat-2"]);
        assert_eq!(element_values(NATS, "missing"), Vec::<String>::new());
    }

    #[test]
    fn only_the_block_of_the_matching_id_is_rewritten() {
        let out = rewrite_states(NATS, "natGatewayId", &["item"], "state", |id| {
            (id == "nat-2").then_some("pending")
        })
        .unwrap();
        assert!(
            out.contains("<natGatewayId>nat-1</natGatewayId><state>available</state>"),
            "{out}"
        );
        assert!(
            out.contains("<item><state>pending</state><natGatewayId>nat-2</natGatewayId>"),
            "{out}"
        );
        let both = rewrite_states(NATS, "natGatewayId", &["item"], "state", |_| {
            Some("pending")
        })
        .unwrap();
        assert_eq!(both.matches("<state>pending</state>").count(), 2);
    }

    #[test]
    fn blocks_and_children_can_be_emptied() {
        let groups = "<Groups><member><Name>a</Name><Instances><member><Id>i-1</Id></member></Instances></member><member><Name>b</Name><Instances><member><Id>i-2</Id></member></Instances></member></Groups>";
        let blocks = blocks_where(groups, "Name", &["member"], |name| name == "b");
        assert_eq!(blocks.len(), 1);
        let inner = child_content(groups, blocks[0].clone(), "Instances").unwrap();
        let out = remove_ranges(groups, vec![inner]).unwrap();
        assert!(
            out.contains("<Name>b</Name><Instances></Instances>"),
            "{out}"
        );
        assert!(out.contains("<Id>i-1</Id>"), "{out}");
        let gone = remove_ranges(groups, blocks).unwrap();
        assert!(!gone.contains("<Name>b</Name>"), "{gone}");
        assert!(remove_ranges(groups, Vec::new()).is_none());
    }

    #[test]
    fn nothing_to_rewrite_gives_none() {
        assert!(rewrite_states(NATS, "natGatewayId", &["item"], "state", |_| None).is_none());
        assert!(
            rewrite_states(NATS, "natGatewayId", &["nosuchblock"], "state", |_| Some(
                "x"
            ))
            .is_none()
        );
    }
}
