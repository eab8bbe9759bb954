//! The root `search`: ranked full-text search across publications, datasets and producers,
//! with a relevance score and a highlighted snippet (`<mark>…</mark>`) per hit.

use async_graphql::{Context, Enum, SimpleObject, Union};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::connection::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageInfo};
use super::errors::{ApiError, ApiResult};
use super::ids::list_fingerprint;
use super::loaders::{ById, Loaders};
use super::types::{Dataset, Producer, Publication};
use crate::db::Db;
use crate::db::entities::{dataset, producer, publication};
use crate::db::pages::Table;
use crate::db::search::{self, HitPosition, SearchQuery};

#[derive(Union, Clone)]
pub enum SearchResult {
    Publication(Publication),
    Dataset(Dataset),
    Producer(Producer),
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchType {
    Publication,
    Dataset,
    Producer,
}

#[derive(SimpleObject)]
pub struct SearchEdge {
    cursor: String,
    node: SearchResult,
    /// Relevance: higher is better; title matches weigh more than matches elsewhere.
    score: f64,
    /// A short extract as HTML: the record's text escaped (`&amp;`, `&lt;`, `&gt;`,
    /// `&quot;`, `&#39;`), the matched words in `<mark>…</mark>`, the only tags it holds.
    snippet: Option<String>,
}

#[derive(SimpleObject)]
pub struct SearchConnection {
    edges: Vec<SearchEdge>,
    page_info: PageInfo,
    total_count: i64,
}

fn encode(position: &HitPosition, list: u64) -> String {
    URL_SAFE_NO_PAD
        .encode(serde_json::json!({ "h": position, "l": format!("{list:016x}") }).to_string())
}

fn decode(cursor: &str, list: u64) -> ApiResult<HitPosition> {
    let invalid = || ApiError::bad_input(format!("\"{cursor}\" is not a valid search cursor"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if body["l"].as_str() != Some(format!("{list:016x}").as_str()) {
        return Err(ApiError::bad_input(
            "the cursor belongs to another search; start again without `after`",
        ));
    }
    serde_json::from_value(body["h"].clone()).map_err(|_| invalid())
}

/// Runs the root search.
pub async fn run(
    ctx: &Context<'_>,
    query: &str,
    types: Option<Vec<SearchType>>,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<SearchConnection> {
    let parsed = SearchQuery::parse(query)
        .map_err(|reason| ApiError::bad_input(format!("`query`: {reason}")))?;
    let parsed = super::filters::with_prefix_lexemes(ctx, parsed).await?;
    let mut tables: Vec<Table> = match types {
        Some(types) if !types.is_empty() => types
            .into_iter()
            .map(|t| match t {
                SearchType::Publication => Table::Publication,
                SearchType::Dataset => Table::Dataset,
                SearchType::Producer => Table::Producer,
            })
            .collect(),
        _ => vec![Table::Publication, Table::Dataset, Table::Producer],
    };
    tables.sort_by_key(|t| t.name());
    tables.dedup();
    let limit = match first {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if (0..=MAX_PAGE_SIZE as i32).contains(&n) => n as u64,
        Some(n) => {
            return Err(ApiError::bad_input(format!(
                "`first` is {n}: it must be between 0 and {MAX_PAGE_SIZE}"
            )));
        }
    };
    let list = list_fingerprint(&(&parsed, &tables));
    let after = after.as_deref().map(|c| decode(c, list)).transpose()?;
    let conn = &ctx.data_unchecked::<Db>().conn;
    // The count, when asked, comes with the page where the backend counts there; otherwise it
    // is a statement of its own, beside the page's.
    let asks_total = ctx.look_ahead().field("totalCount").exists();
    let with_page = search::counts_with_page(conn.get_database_backend());
    let page = search::search_all(conn, &parsed, &tables, after, limit + 1, asks_total);
    let count = async {
        if asks_total && !with_page {
            search::count_all(conn, &parsed, &tables).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let ((mut hits, carried), counted) = futures::future::try_join(page, count).await?;
    let total_count = match carried.or(counted) {
        Some(total) => total,
        // An empty page carried no count.
        None if asks_total => search::count_all(conn, &parsed, &tables).await?,
        None => 0,
    };
    let has_next_page = hits.len() as u64 > limit;
    hits.truncate(limit as usize);
    let loaders = ctx.data_unchecked::<Loaders>();
    let nodes = futures::future::try_join_all(hits.iter().map(|hit| async move {
        Ok::<_, ApiError>(match hit.table {
            Table::Publication => loaders
                .load_one(ById::<publication::Model>::new(hit.id))
                .await?
                .map(|m| SearchResult::Publication(m.into())),
            Table::Dataset => loaders
                .load_one(ById::<dataset::Model>::new(hit.id))
                .await?
                .map(|m| SearchResult::Dataset(m.into())),
            Table::Producer => loaders
                .load_one(ById::<producer::Model>::new(hit.id))
                .await?
                .map(|m| SearchResult::Producer(m.into())),
        })
    }))
    .await?;
    let edges: Vec<SearchEdge> = hits
        .into_iter()
        .zip(nodes)
        .filter_map(|(hit, node)| {
            Some(SearchEdge {
                cursor: encode(&hit.position(), list),
                node: node?,
                score: hit.score,
                snippet: hit.snippet,
            })
        })
        .collect();
    let page_info = PageInfo {
        has_next_page,
        has_previous_page: after.is_some(),
        start_cursor: edges.first().map(|e| e.cursor.clone()),
        end_cursor: edges.last().map(|e| e.cursor.clone()),
    };
    Ok(SearchConnection {
        edges,
        page_info,
        total_count,
    })
}
