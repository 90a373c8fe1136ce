import { registerErrorStatuses } from "../../shared/errors.js";

/** Every refusal the catalog's shared pieces give, with its HTTP status. */
export type CatalogErrorCode =
  | "catalog_scoped_actor"
  | "gift_voucher_template_not_found"
  | "gift_voucher_package_not_found"
  | "invalid_gift"
  | "gift_source_reused"
  | "agreement_not_found"
  | "invalid_agreement"
  | "agreement_version_changed"
  | "invalid_store_scope"
  | "image_not_found"
  | "invalid_image";

registerErrorStatuses({
  catalog_scoped_actor: 403,
  gift_voucher_template_not_found: 404,
  gift_voucher_package_not_found: 404,
  invalid_gift: 422,
  gift_source_reused: 409,
  agreement_not_found: 404,
  invalid_agreement: 422,
  agreement_version_changed: 409,
  invalid_store_scope: 422,
  image_not_found: 404,
  invalid_image: 400,
});
