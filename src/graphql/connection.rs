//! Relay connections for every list: one generic [`Connection`] and [`Edge`], named per list by
//! a [`ListKind`], fed by the page and count loaders (and, when column facets are asked, the
//! joint counts, read beside the page). Page size defaults to 20; more than 100 is a
//! `BAD_USER_INPUT` error, never a silent clamp.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::connection::EmptyFields;
use async_graphql::{Context, Lookahead, Object, ObjectType, OutputType, SimpleObject, TypeName};

use super::errors::{ApiError, ApiResult};
use super::ids::{decode_cursor, encode_cursor, list_fingerprint};
use super::loaders::{CountOf, JointOf, Loaders, PageOf, PageReads};
use super::types::common::{Date, RelationType};
use super::types::credits_to_carry;
use crate::db::entities::Record;
use crate::db::facets::JointCounts;
use crate::db::pages::{EdgeData, Link, ListSpec, PageRows, Position, Window};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// What one list is called in the schema and what its edges and connection carry.
pub trait ListKind: Send + Sync + 'static {
    type Row: Record;
    type Node: OutputType + From<Self::Row>;
    type EdgeFields: EdgeFieldsFrom;
    /// Fields the connection carries besides edges, nodes, pageInfo and totalCount (facets).
    type Extra: ConnectionExtra;
    const CONNECTION: &'static str;
    const EDGE: &'static str;
}

/// Fields an edge carries besides `cursor` and `node`.
pub trait EdgeFieldsFrom: ObjectType + Sized {
    fn from_edge(edge: EdgeData) -> Self;
}

impl EdgeFieldsFrom for EmptyFields {
    fn from_edge(_: EdgeData) -> Self {
        EmptyFields
    }
}

/// Connection fields computed over the whole list (one parent's).
pub trait ConnectionExtra: ObjectType + Sized {
    /// The single-valued columns the connection's selection counts the list by (its column
    /// facets), read in one statement beside the page; none by default.
    fn joint_columns(_connection: &Lookahead<'_>) -> Vec<&'static str> {
        Vec::new()
    }

    /// The fields of `parent`'s list, with its counts by [`Self::joint_columns`] when asked.
    fn new(spec: &ListSpec, parent: i64, joint: Option<Arc<JointCounts>>) -> Self;
}

impl ConnectionExtra for EmptyFields {
    fn new(_: &ListSpec, _: i64, _: Option<Arc<JointCounts>>) -> Self {
        EmptyFields
    }
}

/// A publication↔dataset link on an edge: how they relate, who asserted it, and when.
#[derive(SimpleObject)]
pub struct LinkEdgeFields {
    relation_type: RelationType,
    /// Who asserted the link: "NCJRS", "ICPSR bibliography", a Scholix provider.
    source: Option<String>,
    linked_on: Option<Date>,
}

impl EdgeFieldsFrom for LinkEdgeFields {
    fn from_edge(edge: EdgeData) -> Self {
        match edge {
            EdgeData::Link(link) => Self {
                relation_type: RelationType::from_db(&link.relation_type),
                source: link.source,
                linked_on: link.linked_on.map(Date),
            },
            _ => unreachable!("link lists read link fields"),
        }
    }
}

/// Co-use: how many datasets two publications share.
#[derive(SimpleObject)]
pub struct SharedFields {
    /// Datasets both publications relate to.
    shared_datasets: i64,
}

impl EdgeFieldsFrom for SharedFields {
    fn from_edge(edge: EdgeData) -> Self {
        match edge {
            EdgeData::Shared(shared_datasets) => Self { shared_datasets },
            _ => unreachable!("co-use lists read shared counts"),
        }
    }
}

/// `first/after/last/before` as a client gave them.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }

    /// Checks the arguments and turns them into a window over `spec`'s list (`list`: its
    /// fingerprint); a cursor's position must fit the list's sort keys.
    pub fn window(&self, list: u64, spec: &ListSpec) -> ApiResult<Window> {
        let size = |name: &str, value: i32| -> ApiResult<u64> {
            if value < 0 {
                return Err(ApiError::bad_input(format!(
                    "`{name}` must not be negative (got {value})"
                )));
            }
            if value as u64 > MAX_PAGE_SIZE {
                return Err(ApiError::bad_input(format!(
                    "`{name}` is {value}, more than the maximum page size of {MAX_PAGE_SIZE}"
                )));
            }
            Ok(value as u64)
        };
        let (limit, backward) = match (self.first, self.last) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_input("pass `first` or `last`, not both"));
            }
            (Some(first), None) => (size("first", first)?, false),
            (None, Some(last)) => (size("last", last)?, true),
            (None, None) => (
                DEFAULT_PAGE_SIZE,
                self.before.is_some() && self.after.is_none(),
            ),
        };
        let position = |cursor: &Option<String>| -> ApiResult<Option<Position>> {
            let Some(cursor) = cursor.as_deref() else {
                return Ok(None);
            };
            let position = decode_cursor(cursor, list)?;
            if !position.fits(&spec.key_types()) {
                return Err(ApiError::bad_input(format!(
                    "\"{cursor}\" is not a valid cursor for this list's order"
                )));
            }
            Ok(Some(position))
        };
        Ok(Window {
            limit,
            backward,
            after: position(&self.after)?,
            before: position(&self.before)?,
        })
    }
}

/// Reads one page of `parent`'s list and wraps it as a connection.
pub async fn load<K: ListKind>(
    ctx: &Context<'_>,
    spec: ListSpec,
    args: PageArgs,
    parent: i64,
) -> ApiResult<Connection<K>> {
    // A cursor belongs to one parent's list: another parent's would skip or repeat rows.
    let list = list_fingerprint(&(&spec, parent));
    let window = args.window(list, &spec)?;
    let selection = ctx.look_ahead();
    let loaders = ctx.data_unchecked::<Loaders>();
    let asks_total = selection.field("totalCount").exists();
    // Column facets are counted together, and a whole table's length is their sum.
    let columns = K::Extra::joint_columns(&selection);
    let total_from_joint = asks_total && !columns.is_empty() && matches!(spec.link, Link::All(_));
    let joint = async {
        if columns.is_empty() {
            return Ok(None);
        }
        let key = JointOf {
            spec: spec.clone(),
            columns,
            parent,
        };
        loaders.load_one(key).await
    };
    // A connection asked only for `totalCount` or facets reads no page.
    let page = async {
        if !["edges", "nodes", "pageInfo"]
            .iter()
            .any(|field| selection.field(field).exists())
        {
            return Ok(Default::default());
        }
        // Long texts (abstracts, summaries) are read only when some node asks for them.
        let nodes = [
            selection.field("nodes"),
            selection.field("edges").field("node"),
        ];
        let reads = PageReads {
            lean: !K::Row::DEFERRED
                .iter()
                .any(|(_, field)| nodes.iter().any(|node| node.field(field).exists())),
            // Producers shown on the nodes come with the page's rows.
            credits: credits_to_carry::<K::Row>(&nodes),
            total: asks_total && !total_from_joint,
        };
        let counts = asks_total || selection.field("facets").exists();
        loaders
            .inner()
            .will_load_page(&spec, &window, parent, counts);
        let key = PageOf::<K::Row>::new(spec.clone(), window.clone(), parent, reads);
        Ok(loaders.load_one(key).await?.unwrap_or_default())
    };
    // Side by side: the page and the counts are separate statements.
    let (page, joint): (PageRows<K::Row>, Option<Arc<JointCounts>>) =
        futures::future::try_join(page, joint).await?;
    let total = match &joint {
        Some(joint) if total_from_joint => Some(joint.total()),
        _ => page.total,
    };
    let (has_previous_page, has_next_page) = if window.backward {
        (page.has_more, window.before.is_some())
    } else {
        (window.after.is_some(), page.has_more)
    };
    let edges = page
        .rows
        .into_iter()
        .map(|row| Edge {
            position: row.position,
            list,
            node: K::Node::from(row.row),
            fields: K::EdgeFields::from_edge(row.edge),
            _kind: PhantomData,
        })
        .collect();
    Ok(Connection {
        edges,
        has_next_page,
        has_previous_page,
        extra: K::Extra::new(&spec, parent, joint),
        total,
        count: CountOf(spec, parent),
    })
}

pub struct Connection<K: ListKind> {
    edges: Vec<Edge<K>>,
    has_next_page: bool,
    has_previous_page: bool,
    extra: K::Extra,
    /// The list's length when the page's statement counted it, else read by `count`.
    total: Option<i64>,
    count: CountOf,
}

#[Object(name_type)]
impl<K: ListKind> Connection<K> {
    async fn edges(&self) -> &[Edge<K>] {
        &self.edges
    }

    async fn nodes(&self) -> Vec<&K::Node> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            start_cursor: self.edges.first().map(Edge::cursor_text),
            end_cursor: self.edges.last().map(Edge::cursor_text),
        }
    }

    /// Items in the whole list (with its filter and search), not only this page.
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        if let Some(total) = self.total {
            return Ok(total);
        }
        let loaders = ctx.data_unchecked::<Loaders>();
        Ok(loaders.load_one(self.count.clone()).await?.unwrap_or(0))
    }

    #[graphql(flatten)]
    async fn extra(&self) -> &K::Extra {
        &self.extra
    }
}

impl<K: ListKind> TypeName for Connection<K> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(K::CONNECTION)
    }
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

pub struct Edge<K: ListKind> {
    /// Where the row sits in the list (`list`: the list's fingerprint); encoded into a cursor
    /// only when a client asks for one.
    position: Position,
    list: u64,
    node: K::Node,
    fields: K::EdgeFields,
    _kind: PhantomData<K>,
}

impl<K: ListKind> Edge<K> {
    fn cursor_text(&self) -> String {
        encode_cursor(&self.position, self.list)
    }
}

#[Object(name_type)]
impl<K: ListKind> Edge<K> {
    async fn cursor(&self) -> String {
        self.cursor_text()
    }

    async fn node(&self) -> &K::Node {
        &self.node
    }

    #[graphql(flatten)]
    async fn fields(&self) -> &K::EdgeFields {
        &self.fields
    }
}

impl<K: ListKind> TypeName for Edge<K> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(K::EDGE)
    }
}
