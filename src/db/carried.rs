//! Credits carried by the statement that reads their records: one JSON column per record row
//! (`sg_credits`, a correlated aggregate over the credit table), so a page or a lookup whose
//! nodes show their producers needs no second statement for them. What the column holds is
//! exactly what [`super::rows::credits_and_parents`] reads (same order: role, name, id).

use sea_orm::{DatabaseBackend, DbErr, QueryResult};

use super::entities::{CreditTable, producer};

/// The column's name in a row.
pub const COLUMN: &str = "sg_credits";

/// One credit as carried: role, producer, and (when asked for) the producer's parent.
pub type Credit = (String, producer::Model, Option<producer::Model>);

/// Which credits a statement carries: of which table, and whether with the producers' parents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CarriedCredits {
    pub table: CreditTable,
    pub parents: bool,
}

impl CarriedCredits {
    /// `(SELECT … WHERE owner = {owner}) AS sg_credits`: the credits of the record whose id is
    /// the SQL expression `owner`, as JSON text `[[role, [producer…], [parent…] | null], …]`
    /// (NULL or `[]` for none). Producer columns are in [`producer::Model`]'s field order.
    pub fn select_expr(&self, backend: DatabaseBackend, owner: &str) -> String {
        let postgres = backend == DatabaseBackend::Postgres;
        let array = if postgres {
            "json_build_array"
        } else {
            "json_array"
        };
        let columns = |alias: &str| -> String {
            use sea_orm::{IdenStatic, Iterable};
            let list: Vec<String> = producer::Column::iter()
                .map(|column| format!("{alias}.{}", column.as_str()))
                .collect();
            format!("{array}({})", list.join(", "))
        };
        let parent = if self.parents {
            format!(
                "CASE WHEN sg_cpp.id IS NULL THEN NULL ELSE {} END",
                columns("sg_cpp")
            )
        } else {
            "NULL".to_owned()
        };
        let (credits, owner_column, _) = self.table.table();
        let aggregate = if postgres {
            "json_agg"
        } else {
            "json_group_array"
        };
        let mut sql = format!(
            "(SELECT {aggregate}({array}(sg_c.role, {}, {parent}) \
             ORDER BY sg_c.role, sg_cp.name, sg_cp.id) \
             FROM {credits} sg_c JOIN producer sg_cp ON sg_cp.id = sg_c.producer_id",
            columns("sg_cp"),
        );
        if self.parents {
            sql.push_str(" LEFT JOIN producer sg_cpp ON sg_cpp.id = sg_cp.parent_id");
        }
        sql.push_str(&format!(" WHERE sg_c.{owner_column} = {owner})"));
        if postgres {
            // sqlx reads `json` only into JSON types; text is what the row reader takes.
            sql = format!("CAST({sql} AS TEXT)");
        }
        format!("{sql} AS {COLUMN}")
    }

    /// The credits a row carries (empty when the record has none).
    pub fn read(row: &QueryResult) -> Result<Vec<Credit>, DbErr> {
        let Some(text) = row.try_get::<Option<String>>("", COLUMN)? else {
            return Ok(Vec::new());
        };
        serde_json::from_str(&text)
            .map_err(|err| DbErr::Type(format!("carried credits `{text}`: {err}")))
    }
}
