// Rekindle compiler: examples for help texts taken from the user's own schema, so a team whose
// customers are accounts with seats and plans reads `account_id is "A1"`, not the playbook's
// `customer_id is "C1"`. Used by the checker's and the lints' messages.
#pragma once

#include <string>
#include <string_view>

#include "compiler/ir/schema.h"

namespace rk::check {

// `FIELD is "X1"` for the key field (or the first string field): "" when the schema has none.
std::string string_test_example(const Schema& schema);
// The same for string field `field`: `plan_code is "P1"`.
std::string string_test_example(const FieldDef& field);
// `field ID: string key` for a schema without a key: ID is the schema's name with `_id`.
std::string key_field_example(const Schema& schema);
// The condition a channel should require: `FIELD is true` for a yes/no field whose name holds
// the channel's name and "consent" (or only "consent", or only the channel's name), else
// `CHANNEL_consent is true`.
std::string consent_example(const Schema& schema, std::string_view channel);
// An exit for a sequence: `exit NAME when FIELD` for a yes/no field that says the customer
// responded (its name holds respond, repl, convert, click, purchas, bought, renew or upgrad),
// else a sentence asking for one.
std::string exit_example(const Schema& schema);

}  // namespace rk::check
