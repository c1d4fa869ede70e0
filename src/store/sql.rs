//! Statements built at run time (`IN (…)` lists, optional filters) for both backends.
//!
//! sqlx's `QueryBuilder<Any>` writes `?` placeholders, which PostgreSQL does not accept; SQLite
//! takes `$n` as well as `?`, so this builder numbers its placeholders `$1, $2, …` and both
//! engines run the same text.

use sqlx::any::{Any, AnyArguments};
use sqlx::encode::Encode;
use sqlx::{Arguments, AssertSqlSafe, FromRow, Type};
use std::fmt::Write;

/// SQL text with numbered placeholders and their values.
#[derive(Default)]
pub(crate) struct Sql {
    text: String,
    args: AnyArguments,
    n: usize,
}

impl Sql {
    /// Starts a statement with `text`.
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            ..Sql::default()
        }
    }

    /// Appends SQL text (never values: those go through [`Sql::push_bind`]).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn push_bind<'q, T>(&mut self, value: T) -> &mut Self
    where
        T: Encode<'q, Any> + Type<Any> + 'q,
    {
        self.n += 1;
        let _ = write!(self.text, "${}", self.n);
        // The Any driver's encoders of integers, floats and strings (all this store binds)
        // only push the value: they cannot fail.
        let _ = self.args.add(value);
        self
    }

    /// Appends `$a, $b, …`, one placeholder per value.
    pub fn push_list<'q, T, I>(&mut self, values: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: Encode<'q, Any> + Type<Any> + 'q,
    {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.push_bind(v);
        }
        self
    }

    fn take(&mut self) -> (String, AnyArguments) {
        self.n = 0;
        (
            std::mem::take(&mut self.text),
            std::mem::take(&mut self.args),
        )
    }

    /// The statement, ready to run.
    pub fn build(&mut self) -> sqlx::query::Query<'static, Any, AnyArguments> {
        let (text, args) = self.take();
        sqlx::query_with(AssertSqlSafe(text), args)
    }

    /// The statement, returning one column.
    pub fn build_scalar<O>(&mut self) -> sqlx::query::QueryScalar<'static, Any, O, AnyArguments>
    where
        (O,): for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let (text, args) = self.take();
        sqlx::query_scalar_with(AssertSqlSafe(text), args)
    }

    /// The statement, returning rows as `O`.
    pub fn build_as<O>(&mut self) -> sqlx::query::QueryAs<'static, Any, O, AnyArguments>
    where
        O: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let (text, args) = self.take();
        sqlx::query_as_with(AssertSqlSafe(text), args)
    }
}

/// A nullable float parameter that keeps one type on PostgreSQL.
///
/// sqlx's Any driver sends a `None::<f64>` as a `float4` NULL but a `Some(f64)` as `float8`;
/// PostgreSQL prepares a statement once with the first call's types, so a later call with the
/// other one fails with "incorrect binary data format". This sends both as `float8`.
pub(crate) struct OptF64(pub Option<f64>);

impl Type<Any> for OptF64 {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <f64 as Type<Any>>::type_info()
    }
}

impl Encode<'_, Any> for OptF64 {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        match self.0 {
            Some(v) => <f64 as Encode<Any>>::encode_by_ref(&v, buf),
            // The driver turns an f32 (`Real`) NULL into an f64 one, and an f64 NULL into f32.
            None => <Option<f32> as Encode<Any>>::encode_by_ref(&None, buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_both_engines() {
        let mut s = Sql::new("SELECT * FROM t WHERE a = ");
        s.push_bind(1i64).push(" AND b IN (");
        s.push_list(["x", "y", "z"]).push(")");
        assert_eq!(s.text, "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3, $4)");
        assert_eq!(s.args.len(), 4);
    }
}
