import { type Kysely, sql } from "kysely";

/**
 * Members' phones are kept as digits with an optional leading `+` (src/shared/phone.ts): the
 * ones stored as typed lose their spaces, parentheses and dashes, so a search by the number
 * finds them. A phone that would keep fewer than 3 digits (the API never took one) is left as
 * it was.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`update members set phone = regexp_replace(phone, '[ ()-]', '', 'g')
    where phone ~ '[ ()-]' and length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 3`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
