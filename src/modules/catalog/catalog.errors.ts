import { IMAGE_ERRORS } from "../../platform/files/images.js";
import { defineErrors } from "../../shared/errors.js";

/** Every refusal the catalog's shared pieces give, with its HTTP status. */
export const CATALOG_ERRORS = defineErrors({
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
  ...IMAGE_ERRORS.statuses,
});

export type CatalogErrorCode = (typeof CATALOG_ERRORS.codes)[number];
export const CatalogError = CATALOG_ERRORS.Error;
