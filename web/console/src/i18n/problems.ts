/**
 * What the console says for each refusal the API can answer with (its problem `code`), in both
 * languages: the console shows these instead of the API's English `detail` (an alert keeps the
 * detail beneath, when it says more). A few codes
 * that belong to one page's flow sit beside that page's messages (en-US.ts, deposits.ts,
 * giftcards.ts, partners.ts, platform.ts); every other code is here. A test checks that every
 * declared code has a message in both catalogs.
 */
export const problemsEnUS = {
  // Common to every endpoint
  "problem.validation_failed": "Some values are not valid: check what you entered and try again",
  "problem.malformed_json": "The request could not be read; reload the page and try again",
  "problem.malformed_url": "The address is not valid; reload the page and try again",
  "problem.invalid_encoding": "The request contains characters that could not be read",
  "problem.bad_request": "The request could not be processed; reload the page and try again",
  "problem.request_timeout":
    "The request took too long to arrive (a slow connection, or a large file); try again",
  "problem.headers_too_large": "The request could not be read; clear this site's cookies and try again",
  "problem.amount_out_of_range":
    "The amount is too large; use a smaller amount or split it into several operations",
  "problem.csrf_failed": "The request could not be verified; reload the page and try again",
  "problem.not_found": "Not found: it may have been deleted, or it is outside your scope",
  "problem.method_not_allowed": "This operation is not supported here",
  "problem.conflict": "This conflicts with a change made at the same time; reload and try again",
  "problem.idempotency_request_in_progress":
    "The same request is still being processed; wait a moment and check its result",
  "problem.idempotency_key_reused":
    "This submission was already used for a different request; reload the page and submit again",
  "problem.idempotency_replay_unavailable":
    "This request was already processed, but its result can no longer be shown (it was not repeated); check the records for its outcome",
  "problem.idempotency_key_required":
    "This request is missing its submission id; reload the page and try again",
  "problem.payload_too_large": "The upload is larger than allowed",
  "problem.unsupported_media_type":
    "This file type is not accepted: upload a PNG, JPEG, WebP or SVG image, or a CSV or XLSX file",
  "problem.internal_error":
    "Something went wrong on our side; try again, and if it persists, contact support with the time it happened",
  "problem.service_unavailable": "The service is temporarily unavailable; try again shortly",

  // Users, sessions and API keys
  "problem.email_taken": "A user with this email already exists",
  "problem.user_not_found": "User not found",
  "problem.session_not_found": "This can only be done when signed in to the console",
  "problem.api_key_not_found": "API key not found",
  "problem.job_not_found": "No failed job has this id",

  // Organisation and stores
  "problem.org_unit_not_found": "Org unit not found, or outside your scope",
  "problem.org_unit_code_taken": "Another org unit already has this code",
  "problem.org_unit_in_use":
    "The unit is still referred to (by a store group, a store scope, a voucher quota, a live voucher or an enterprise association); remove that first",
  "problem.member_voucher_outstanding":
    "The member holds a live voucher issued by an org unit the new one is not under: let it be used, expire or be withdrawn first",
  "problem.store_group_in_use": "A store scope still names this store group; remove it there first",
  "problem.store_group_not_found": "Store group not found",
  "problem.not_a_store": "Only stores can be added to a store group",
  "problem.store_outside_group_unit": "The store is not inside the group's org unit",
  "problem.store_not_found": "Store not found",
  "problem.invalid_store_scope": "The store scope names stores, org units or store groups that do not exist",

  // Files, images, imports and exports
  "problem.file_not_ready": "The file is not ready yet; wait for the job to finish",
  "problem.file_expired": "The file has expired; export it again",
  "problem.file_job_not_found": "Import or export not found",
  "problem.import_type_unknown": "This kind of import is not supported",
  "problem.export_type_unknown": "This kind of export is not supported",
  "problem.file_too_large": "The workbook is too large once unpacked; split it into smaller files",
  "problem.invalid_file": "The file is not a readable XLSX workbook",
  "problem.export_too_large":
    "Too many rows for one export: narrow the filters (a shorter time range, one type) and export in parts",
  "problem.image_not_found": "Image not found",
  "problem.invalid_image": "The image is not among the uploaded images; upload it again",

  // Webhooks and notifications
  "problem.webhook_url_refused":
    "The webhook URL is not accepted: use a public http or https address without a user name or password",
  "problem.webhook_endpoint_limit": "The maximum number of webhook endpoints is reached; delete one first",
  "problem.webhook_endpoint_not_found": "Webhook endpoint not found",
  "problem.webhook_delivery_not_found": "Webhook delivery not found",
  "problem.notification_delivery_not_found": "Notification delivery not found",
  "problem.notice_type_not_found": "Unknown notice type",

  // Sandbox
  "problem.live_tenant": "A live tenant runs on real time: only a sandbox has a test clock",
  "problem.sandbox_tenant": "Create sandboxes from the live tenant, not from a sandbox",
  "problem.sandbox_archived": "This sandbox is archived: its keys and sign-ins no longer work",
  "problem.sandbox_not_found": "Sandbox not found",
  "problem.sandbox_limit_reached":
    "This tenant has the most active sandboxes it may have (10): archive one to free a place",
  "problem.clock_backwards": "The test clock moves forward only",
  "problem.advance_too_far": "One advance moves the clock at most two years",

  // Ledger
  "problem.account_not_found": "Ledger account not found",
  "problem.transfer_not_found": "Ledger transfer not found",
  "problem.account_closed": "The account is closed",
  "problem.asset_exists": "This asset already exists with a different number of decimal places",
  "problem.asset_not_found": "This currency or unit is not set up in the ledger",
  "problem.asset_mismatch": "The accounts and the amount are in different currencies or units",
  "problem.exists_with_different_fields":
    "A ledger record with this id already exists with different details",
  "problem.pending_already_posted": "This hold has already been posted",
  "problem.pending_already_voided": "This hold has already been released",
  "problem.invalid_amount": "The amount is not valid; check it and enter it again",

  // Members
  "problem.member_not_found": "Member not found, or outside your scope",
  "problem.member_frozen": "The member's account is frozen; unfreeze it first",
  "problem.card_plan_not_found": "Card plan not found, or archived",
  "problem.card_tier_not_found": "The card plan has no such tier",
  "problem.card_plan_in_use": "The card plan is still in use",
  "problem.tier_not_in_plan": "The tier does not belong to the card plan",
  "problem.tier_rank_taken": "Two tiers cannot have the same rank",
  "problem.member_group_not_found": "Member group not found",
  "problem.member_tag_not_found": "Member tag not found",
  "problem.external_ref_taken": "Another member has this external reference",
  "problem.card_number_taken": "Another member has this card number",
  "problem.code_taken": "This code is already in use",
  "problem.invalid_birthday": "The birthday is not valid: use MM-DD or YYYY-MM-DD",
  "problem.import_too_large":
    "The import file is too large or has too many rows; split it into smaller files",
  "problem.import_invalid": "The import file cannot be read: check its format and its header row",
  "problem.member_has_no_card": "The member has no card to extend",

  // Member center
  "problem.member_center_not_found": "No member center at this address",
  "problem.member_center_code_not_found": "This link is not valid",
  "problem.member_center_code_used": "This link has been used already",
  "problem.member_center_code_expired": "This link has expired",
  "problem.invalid_member_center_settings":
    "The member center settings are not valid: fix the fields listed below",

  // Student verification
  "problem.student_verification_not_found": "Student verification not found",
  "problem.student_verification_pending": "The member already has a verification waiting for review",
  "problem.student_verification_not_pending": "This verification has already been reviewed",
  "problem.graduation_date_passed": "The graduation date has passed: the verification cannot be approved",
  "problem.invalid_student_package": "The selected package is not a student-only package",
  "problem.too_many_student_id_images":
    "Too many student ID photos not yet submitted: submit one with a verification first",

  // Catalog: gifts and agreements
  "problem.catalog_scoped_actor": "Only head-office staff can change the catalog and top-up plans",
  "problem.gift_voucher_template_not_found": "Gift voucher template not found",
  "problem.gift_voucher_package_not_found": "Gift voucher package not found",
  "problem.invalid_gift": "The gift is not valid: check its voucher templates and quantities",
  "problem.gift_source_reused": "This gift was already granted to another member",
  "problem.agreement_not_found": "Agreement not found",
  "problem.invalid_agreement": "The agreement is not active, or is not of the right type",
  "problem.agreement_version_changed": "The agreement has been updated: show the member the current version",

  // Paid packages
  "problem.package_not_found": "Package not found",
  "problem.package_scoped_actor": "Only head-office staff can change packages",
  "problem.package_archived": "An archived package is read-only; copy it to make a new one",
  "problem.invalid_status_transition": "The package cannot do this in its current status",
  "problem.invalid_package": "The package's settings are not valid: fix the fields listed below",
  "problem.too_many_active_packages":
    "The maximum number of active packages is reached; deactivate one first",
  "problem.package_not_on_sale": "The package is not on sale",
  "problem.package_not_available_now": "The package cannot be bought at this time",
  "problem.sales_rule_not_found": "The package has no such sales rule",
  "problem.package_order_not_found": "Package order not found",
  "problem.package_order_not_refundable": "Only a paid order can be refunded",
  "problem.refund_restricted":
    "Vouchers this package gave have been used: the order cannot be refunded here, refund it offline",
  "problem.package_payment_not_found": "No package order matches this payment",
  "problem.package_payment_closed": "The order's payment was already handled; nothing was done again",

  // Sales shared by packages, top-ups, gift cards and the cashier
  "problem.channel_not_allowed": "Not available on this sales channel",
  "problem.audience_mismatch": "The member is not in the eligible audience",
  "problem.store_not_in_scope": "Not available at this store",
  "problem.currency_mismatch":
    "The currencies do not match: the order, the plan and the balance must be in the same currency",
  "problem.amount_mismatch": "The amount does not match the order's",
  "problem.payment_method_not_allowed": "This payment method is not allowed here",
  "problem.payment_provider_unknown": "This payment provider is not set up",
  "problem.payment_provider_error":
    "The payment provider could not start the payment; try again or use another payment method",
  "problem.not_refund_due":
    "Only a payment awaiting refund (collected too late to deliver) can be recorded as refunded",

  // Enterprises
  "problem.enterprise_not_found": "Enterprise not found",
  "problem.enterprise_coupon_not_found": "Enterprise coupon not found",
  "problem.member_not_associated": "The member account is not associated with this enterprise",
  "problem.member_already_associated": "The member account is already associated",
  "problem.not_a_member_account": "Only member accounts under the enterprise can be used here",
  "problem.usage_id_reused": "This usage id was already used with different details",
  "problem.invalid_validity":
    "The validity period is not valid: it must end after it starts, and not already be over",

  // Wallets and balance payments
  "problem.amount_above_cap": "The amount is above the single-operation cap",
  "problem.balance_payment_disabled": "Balance payment is turned off",
  "problem.balance_hidden": "The balance is hidden in the member center, so online top-up is not offered",
  "problem.online_topup_disabled": "Online top-up is turned off",
  "problem.balance_asset_locked": "Members already hold balances in the current currency; it cannot change",
  "problem.balance_asset_changed":
    "The balance currency changed during the operation; nothing was done, try again",
  "problem.payment_not_found": "Payment not found",
  "problem.payment_exists": "The order already has a balance payment",
  "problem.payment_not_held":
    "The payment is no longer held: it was already confirmed, released or cancelled",
  "problem.payment_expired": "The balance hold timed out and was released",
  "problem.payment_hold_posted":
    "The balance hold was already posted in the ledger directly: it can be neither released nor confirmed; correct it in the ledger",
  "problem.payment_not_refundable": "This payment cannot be refunded in its current status",
  "problem.refund_exceeds_paid": "The refund is more than what is left to refund",
  "problem.payment_refunded_by_order": "This payment belongs to an order: refund the whole order instead",
  "problem.topup_intent_not_found": "Online top-up not found",
  "problem.topup_intent_closed": "The online top-up was already handled; nothing was credited again",
  "problem.topup_already_credited": "This top-up was already credited",
  "problem.webhook_signature_invalid": "The payment notification could not be verified",
  "problem.exchange_too_small": "Too few points to exchange for the smallest amount",
  "problem.house_currency_not_purchasable":
    "The tenant's own currency cannot be bought online, only credited offline",
  "problem.currency_not_supported_by_provider": "The payment provider does not accept the balance's currency",
  "problem.too_many_open_lots":
    "The member has too many top-up lots with money left; spend or withdraw some first",

  // Vouchers and partners
  "problem.purpose_not_allowed":
    "This purpose is not allowed: resellers' templates are for Customer Discount, distributors' for Product Trial",
  "problem.not_a_reseller": "Only a reseller (or, for templates, a distributor) can be chosen here",
  "problem.not_a_distributor": "The reseller has no distributor above it",
  "problem.not_a_customer": "The account is not a customer",
  "problem.invalid_scope": "The product scope is not valid: check the product codes",
  "problem.voucher_not_usable": "The voucher cannot be used for this order",
  "problem.voucher_balance_insufficient": "The voucher's balance is too low",
  "problem.redemption_reused": "This voucher already paid this reference with a different amount",
  "problem.return_exceeds_redemption": "The return is more than what is left of the redemption",
  "problem.bill_id_reused": "This bill id was already submitted with different content",
  "problem.refund_id_reused": "This refund id was already used with different content",
  "problem.refund_exceeds_bill": "The refund is more than what is left of the bill",
  "problem.voucher_template_not_found": "Voucher template not found",
  "problem.voucher_quota_not_found": "Voucher quota not found",
  "problem.voucher_bill_not_found": "Bill not found",
  "problem.customer_not_found": "Customer not found",
  "problem.voucher_redemption_not_found": "Redemption not found",

  // Benefits and campaigns
  "problem.benefit_not_found": "Benefit not found",
  "problem.benefit_scoped_actor": "Only head-office staff can change benefits and their campaigns",
  "problem.too_many_active_benefits":
    "The maximum number of active benefits is reached; deactivate one first",
  "problem.benefit_icon_not_found": "Icon not found",
  "problem.invalid_icon": "The icon is not among the uploaded icons; upload it first",
  "problem.campaign_not_found": "Campaign not found",
  "problem.campaign_kind_mismatch": "The campaign's type does not match the benefit's",
  "problem.campaign_not_member_exclusive":
    "The campaign is not member-exclusive: turn on its Member-Exclusive Benefit option first",
  "problem.campaign_in_use":
    "Active benefits link this campaign: deactivate them or link them to another campaign first",
  "problem.card_extension_permanent_plan":
    "Card extension applies only to cards with a relative validity period: narrow the audience to leave out permanent card plans",

  // Merchant deposits
  "problem.not_a_merchant": "Deposit accounts belong to merchants only",
  "problem.merchant_not_found": "Merchant not found",
  "problem.deposit_account_exists": "The merchant already has a deposit account",
  "problem.deposit_account_not_found": "The merchant has no deposit account",
  "problem.bank_binding_required": "Bind an effective bank account first",
  "problem.bank_binding_name_taken":
    "Another merchant has bound this company name; contact the platform if it is yours",
  "problem.warnings_not_configured": "Set the balance warning before using the account",
  "problem.account_not_active":
    "The deposit account is not active yet: set the warnings and make the first top-up",
  "problem.account_abnormal": "The deposit account is abnormal; contact the platform",
  "problem.account_in_arrears": "The deposit account is in arrears; top up first",
  "problem.topup_below_minimum": "The top-up is below the minimum amount",
  "problem.topup_not_open": "The top-up application is no longer open",
  "problem.topup_not_found": "Top-up not found",
  "problem.bank_record_not_found": "Bank record not found",
  "problem.bank_record_not_unmatched": "The bank record has already been matched or handled",
  "problem.bank_record_mismatch": "The bank record's amount or currency differs from the application's",
  "problem.invalid_campaign_period": "A campaign must end after it starts",
  "problem.order_id_reused": "This order's cost was already recorded with other details",
  "problem.order_cost_not_found": "No cost was frozen for this order",
  "problem.order_not_frozen": "The order's cost is no longer frozen",
  "problem.order_not_settled": "Only a settled cost can be refunded",
  "problem.exceeds_frozen": "The amount is more than the order's frozen cost left to release",
  "problem.exceeds_settled": "The amount is more than the order's settled cost left to refund",
  "problem.insufficient_available": "Not enough available balance to withdraw",
  "problem.withdrawal_not_found": "Withdrawal not found",
  "problem.withdrawal_state": "The withdrawal cannot do this in its current status",
  "problem.manual_item_not_found": "Manual-handling item not found",
  "problem.profile_incomplete": "Complete the invoice details first",
  "problem.profile_state": "The invoice details cannot do this in their current status",
  "problem.profile_not_verified": "The invoice details must be verified first",
  "problem.invoice_not_found": "Invoice request not found",
  "problem.invoice_state": "The invoice request cannot do this in its current status",
  "problem.no_invoice_candidates": "No transaction matching this filter can be invoiced yet",
  "problem.invoice_below_minimum": "The net amount is below the minimum for an invoice",
  "problem.address_not_found": "Mailing address not found",

  // Top-up plans and smart top-ups
  "problem.topup_plan_not_found": "Top-up plan not found",
  "problem.smart_topup_plan_not_found": "Smart top-up plan not found",
  "problem.recharge_code_not_found": "Recharge code not found, or disabled",
  "problem.recharge_code_mismatch": "The recharge code is for another plan, channel or store",
  "problem.plan_status_transition":
    "The plan cannot do this in its current status (deactivate an active plan before archiving it)",
  "problem.plan_archived": "An archived plan cannot be changed",
  "problem.plan_not_active": "The plan is not active",
  "problem.plan_not_available_now": "The plan is not available at this time",
  "problem.plan_out_of_stock": "The plan's stock is used up",
  "problem.purchase_limit_reached": "The member has reached this plan's purchase limit",
  "problem.first_topup_only": "This plan is only for members who have never topped up",
  "problem.topup_payment_closed": "The top-up was already handled",
  "problem.topup_payment_not_settled": "The payment this refund belongs to has not been confirmed yet",
  "problem.no_smart_offer": "No smart top-up offer is available for this order",
  "problem.tier_not_offered":
    "This top-up tier is not offered (or its amount changed); ask for the offer again",

  // Checkout and cashier
  "problem.quote_changed": "The order total has changed: price it again and confirm the new total",
  "problem.client_order_id_reused": "This order id was already used for a different order",
  "problem.order_not_found": "Order not found",
  "problem.order_already_refunded": "This order has already been refunded",
  "problem.order_not_paid": "The order is not paid: it is waiting for its online payment, or was cancelled",
  "problem.gift_card_not_usable": "The gift card cannot pay this order",
  "problem.settlement_unavailable": "Checkout is not available yet; try again later",
  "problem.settlement_failed": "The order could not be settled",
  "problem.cashier_order_not_found": "Cashier order not found",
  "problem.cashier_order_exists": "A cashier order already exists for this merchant order",
  "problem.cashier_order_not_open": "The cashier order is already paid or closed",
  "problem.cashier_order_expired": "The cashier order has expired",
  "problem.cashier_payment_not_found": "Cashier payment not found",

  // Gift cards
  "problem.gift_card_plan_not_found": "Gift card plan not found",
  "problem.gift_card_not_found": "Gift card not found: check the card number (and PIN)",
  "problem.gift_card_activity_not_found": "Gift card transaction not found",
  "problem.invalid_denominations":
    "The denominations are not valid: each must be a positive amount, none repeated, with a discount below the amount",
  "problem.invalid_custom_amount":
    "The custom amount is not valid: the minimum must be at least 1 and not above the maximum",
  "problem.plan_has_no_amount": "A plan sells at least one denomination or a custom amount",
  "problem.invalid_gift_card_validity": "The card validity is not valid: fix the field listed below",
  "problem.invalid_card_design": "The card design is not valid",
  "problem.gift_card_plan_inactive":
    "The plan is not on sale: activate it first (or its end date has passed)",
  "problem.gift_card_channel_not_allowed": "This plan is not sold on this channel",
  "problem.gift_card_amount_not_allowed": "This amount is not sold for this plan or card",
  "problem.buyer_info_required": "This plan needs the buyer's details, or a card number at the POS",
  "problem.buyer_info_not_collected": "This plan does not collect these buyer details",
  "problem.gift_card_payment_not_allowed": "This payment method is not allowed for this plan",
  "problem.gift_card_already_sold": "This card has already been sold",
  "problem.gift_card_plan_mismatch": "This card belongs to another plan",
  "problem.gift_card_not_active": "The card is not active",
  "problem.gift_card_expired": "The card has expired",
  "problem.gift_card_store_not_allowed": "The card cannot be used at this store",
  "problem.gift_card_recharge_not_allowed": "This card's plan does not allow recharge at the POS",
  "problem.gift_card_refund_exceeds_redemption": "The refund is more than what is left of the redemption",
  "problem.redemption_refunded_by_order":
    "This redemption paid a checkout order: refund the whole order instead",
  "problem.gift_card_reference_reused": "This reference was already used with a different amount",
  "problem.gift_card_not_a_redemption": "Only a redemption can be refunded",
  "problem.gift_card_lookup_limited": "Too many failed look-ups; wait a while and try again",
  "problem.invalid_card_number": "This is not a valid card number (its check digit is wrong)",
  "problem.gift_card_payment_not_found": "No gift card order matches this payment",
  "problem.gift_card_payment_closed": "The payment was already handled; nothing changed",
  "problem.gift_card_amount_mismatch": "The payment's amount or currency differs from the order's",
  "problem.gift_card_currency_mismatch": "The card is in a different currency",
  "problem.gift_card_plan_changed": "The plan changed while the payment was being created: buy again",
  "problem.gift_card_already_claimed": "This card already has a holder",
} as const;

export const problemsZhCN: Record<keyof typeof problemsEnUS, string> = {
  // Common to every endpoint
  "problem.validation_failed": "部分内容填写不正确，请检查后重试",
  "problem.malformed_json": "请求内容无法识别，请刷新页面后重试",
  "problem.malformed_url": "请求地址无效，请刷新页面后重试",
  "problem.invalid_encoding": "请求内容包含无法识别的字符",
  "problem.bad_request": "请求无法处理，请刷新页面后重试",
  "problem.request_timeout": "请求发送超时（网络较慢或文件较大），请重试",
  "problem.headers_too_large": "请求无法读取，请清除本站 Cookie 后重试",
  "problem.amount_out_of_range": "金额超出允许范围，请减小金额或分多次操作",
  "problem.csrf_failed": "请求校验未通过，请刷新页面后重试",
  "problem.not_found": "未找到该记录，可能已被删除或不在您的管理范围内",
  "problem.method_not_allowed": "此处不支持该操作",
  "problem.conflict": "与同时进行的其他修改冲突，请刷新后重试",
  "problem.idempotency_request_in_progress": "相同的请求仍在处理中，请稍候查看结果",
  "problem.idempotency_key_reused": "该提交标识已用于其他请求，请刷新页面后重新提交",
  "problem.idempotency_replay_unavailable":
    "该请求已处理过，但结果已无法读取（未重复执行），请在相关记录中查看结果",
  "problem.idempotency_key_required": "请求缺少提交标识，请刷新页面后重试",
  "problem.payload_too_large": "上传内容超过大小限制",
  "problem.unsupported_media_type":
    "不支持该文件类型：图片请上传 PNG、JPEG、WebP 或 SVG，文件请上传 CSV 或 XLSX",
  "problem.internal_error": "系统出错，请重试；如仍失败，请联系技术支持并提供出错时间",
  "problem.service_unavailable": "服务暂时不可用，请稍后重试",

  // Users, sessions and API keys
  "problem.email_taken": "该邮箱已被其他用户使用",
  "problem.user_not_found": "用户不存在",
  "problem.session_not_found": "仅可在控制台的登录会话中执行此操作",
  "problem.api_key_not_found": "API 密钥不存在",
  "problem.job_not_found": "未找到该失败任务",

  // Organisation and stores
  "problem.org_unit_not_found": "组织单元不存在或不在您的管理范围内",
  "problem.org_unit_code_taken": "该编码已被其他组织单元使用",
  "problem.org_unit_in_use":
    "该组织单元仍被门店分组、适用门店范围、代金券额度、仍可用的代金券或企业关联引用，请先解除引用",
  "problem.member_voucher_outstanding":
    "会员持有由某组织单元发放且仍可用的代金券，新组织单元不在其下级范围内：请待代金券用完、过期或撤回后再转移",
  "problem.store_group_in_use": "该门店分组仍被适用门店范围引用，请先解除引用",
  "problem.store_group_not_found": "门店分组不存在",
  "problem.not_a_store": "门店分组只能包含门店",
  "problem.store_outside_group_unit": "该门店不在分组所属的组织单元下",
  "problem.store_not_found": "门店不存在",
  "problem.invalid_store_scope": "适用门店范围中包含不存在的门店、组织单元或门店分组",

  // Files, images, imports and exports
  "problem.file_not_ready": "文件尚未生成，请等待任务完成",
  "problem.file_expired": "文件已过期，请重新导出",
  "problem.file_job_not_found": "导入或导出任务不存在",
  "problem.import_type_unknown": "不支持该导入类型",
  "problem.export_type_unknown": "不支持该导出类型",
  "problem.file_too_large": "工作簿解压后过大，请拆分为多个较小的文件",
  "problem.invalid_file": "该文件不是可读取的 XLSX 工作簿",
  "problem.export_too_large": "导出行数超过上限，请缩小筛选范围（缩短时间段、选择单一类型）后分批导出",
  "problem.image_not_found": "图片不存在",
  "problem.invalid_image": "未找到该已上传的图片，请重新上传",

  // Webhooks and notifications
  "problem.webhook_url_refused":
    "Webhook 地址不可用，请填写可公开访问、不含用户名和密码的 http 或 https 地址",
  "problem.webhook_endpoint_limit": "Webhook 端点数量已达上限，请先删除一个",
  "problem.webhook_endpoint_not_found": "Webhook 端点不存在",
  "problem.webhook_delivery_not_found": "Webhook 投递记录不存在",
  "problem.notification_delivery_not_found": "通知投递记录不存在",
  "problem.notice_type_not_found": "通知类型不存在",

  // Sandbox
  "problem.live_tenant": "正式商户使用真实时间，只有沙箱有测试时钟",
  "problem.sandbox_tenant": "请从正式商户创建沙箱，不能在沙箱中创建",
  "problem.sandbox_archived": "该沙箱已归档：其密钥和登录已失效",
  "problem.sandbox_not_found": "沙箱不存在",
  "problem.sandbox_limit_reached": "可用沙箱已达上限（10 个）：请先归档一个以空出名额",
  "problem.clock_backwards": "测试时钟只能向前调整",
  "problem.advance_too_far": "单次最多将测试时钟向前调整两年",

  // Ledger
  "problem.account_not_found": "账本账户不存在",
  "problem.transfer_not_found": "账本转账不存在",
  "problem.account_closed": "该账户已关闭",
  "problem.asset_exists": "该资产已存在，且小数位数不同",
  "problem.asset_not_found": "账本中尚未设置该币种或单位",
  "problem.asset_mismatch": "账户与金额的币种或单位不一致",
  "problem.exists_with_different_fields": "该 ID 的账本记录已存在，且内容不同",
  "problem.pending_already_posted": "该冻结已确认入账",
  "problem.pending_already_voided": "该冻结已释放",
  "problem.invalid_amount": "金额无效，请检查后重新输入",

  // Members
  "problem.member_not_found": "会员不存在或不在您的管理范围内",
  "problem.member_frozen": "会员账户已冻结，请先解冻",
  "problem.card_plan_not_found": "会员卡方案不存在或已归档",
  "problem.card_tier_not_found": "会员卡方案中没有该等级",
  "problem.card_plan_in_use": "该会员卡方案仍在使用中",
  "problem.tier_not_in_plan": "该等级不属于所选会员卡方案",
  "problem.tier_rank_taken": "等级排序不能重复",
  "problem.member_group_not_found": "会员分组不存在",
  "problem.member_tag_not_found": "会员标签不存在",
  "problem.external_ref_taken": "该外部编号已被其他会员使用",
  "problem.card_number_taken": "该卡号已被其他会员使用",
  "problem.code_taken": "该编码已被使用",
  "problem.invalid_birthday": "生日格式不正确，请使用 MM-DD 或 YYYY-MM-DD",
  "problem.import_too_large": "导入文件过大或行数过多，请拆分后分批导入",
  "problem.import_invalid": "导入文件无法读取，请检查文件格式和表头",
  "problem.member_has_no_card": "该会员没有可延期的会员卡",

  // Member center
  "problem.member_center_not_found": "该地址没有对应的会员中心",
  "problem.member_center_code_not_found": "该链接无效",
  "problem.member_center_code_used": "该链接已被使用",
  "problem.member_center_code_expired": "该链接已过期",
  "problem.invalid_member_center_settings": "会员中心设置不正确，请按下列字段修改",

  // Student verification
  "problem.student_verification_not_found": "学生认证记录不存在",
  "problem.student_verification_pending": "该会员已有待审核的学生认证",
  "problem.student_verification_not_pending": "该认证已审核，不能再次处理",
  "problem.graduation_date_passed": "毕业日期已过，不能通过认证",
  "problem.invalid_student_package": "所选权益包不是学生专享权益包",
  "problem.too_many_student_id_images": "未提交的学生证照片过多，请先随认证提交一张",

  // Catalog: gifts and agreements
  "problem.catalog_scoped_actor": "仅总部员工可修改商品目录和充值方案",
  "problem.gift_voucher_template_not_found": "赠券模板不存在",
  "problem.gift_voucher_package_not_found": "赠券包不存在",
  "problem.invalid_gift": "赠品配置不正确，请检查券模板和数量",
  "problem.gift_source_reused": "该赠品已赠送给其他会员",
  "problem.agreement_not_found": "协议不存在",
  "problem.invalid_agreement": "该协议未启用或类型不符",
  "problem.agreement_version_changed": "协议已更新，请向会员展示最新版本",

  // Paid packages
  "problem.package_not_found": "权益包不存在",
  "problem.package_scoped_actor": "仅总部员工可修改权益包",
  "problem.package_archived": "已归档的权益包不可修改，可复制后新建",
  "problem.invalid_status_transition": "权益包当前状态下不能执行此操作",
  "problem.invalid_package": "权益包配置不正确，请按下列字段修改",
  "problem.too_many_active_packages": "启用中的权益包数量已达上限，请先停用一个",
  "problem.package_not_on_sale": "该权益包未在销售中",
  "problem.package_not_available_now": "该权益包当前时段不可购买",
  "problem.sales_rule_not_found": "该权益包没有此销售规则",
  "problem.package_order_not_found": "权益包订单不存在",
  "problem.package_order_not_refundable": "仅已支付的订单可退款",
  "problem.refund_restricted": "该权益包赠送的券已被使用，不能在此退款，请线下退款",
  "problem.package_payment_not_found": "未找到该支付对应的权益包订单",
  "problem.package_payment_closed": "该订单的支付已处理，未重复执行",

  // Sales shared by packages, top-ups, gift cards and the cashier
  "problem.channel_not_allowed": "该销售渠道不可用",
  "problem.audience_mismatch": "该会员不在适用人群范围内",
  "problem.store_not_in_scope": "该门店不适用",
  "problem.currency_mismatch": "币种不一致：订单、方案与余额须为同一币种",
  "problem.amount_mismatch": "金额与订单金额不一致",
  "problem.payment_method_not_allowed": "此处不支持该支付方式",
  "problem.payment_provider_unknown": "未配置该支付渠道",
  "problem.payment_provider_error": "支付渠道暂时无法发起支付，请重试或改用其他支付方式",
  "problem.not_refund_due": "仅“逾期支付，待退款”的款项可登记退款",

  // Enterprises
  "problem.enterprise_not_found": "企业不存在",
  "problem.enterprise_coupon_not_found": "企业优惠券不存在",
  "problem.member_not_associated": "该会员账户未关联此企业",
  "problem.member_already_associated": "该会员账户已关联",
  "problem.not_a_member_account": "仅限企业下的会员账户",
  "problem.usage_id_reused": "该用量 ID 已用于内容不同的记录",
  "problem.invalid_validity": "有效期不正确：结束时间须晚于开始时间，且不能已过期",

  // Wallets and balance payments
  "problem.amount_above_cap": "金额超过单笔上限",
  "problem.balance_payment_disabled": "余额支付已关闭",
  "problem.balance_hidden": "会员中心已隐藏余额，不提供在线充值",
  "problem.online_topup_disabled": "在线充值已关闭",
  "problem.balance_asset_locked": "已有会员持有当前币种的余额，不能更改币种",
  "problem.balance_asset_changed": "操作期间余额币种已变更，本次未执行，请重试",
  "problem.payment_not_found": "支付记录不存在",
  "problem.payment_exists": "该订单已有余额支付",
  "problem.payment_not_held": "该支付已不在冻结中（已确认、释放或取消）",
  "problem.payment_expired": "余额冻结已超时并释放",
  "problem.payment_hold_posted": "余额冻结已在账本中直接入账，既不能释放也不能确认，请在账本中更正",
  "problem.payment_not_refundable": "该支付当前状态下不能退款",
  "problem.refund_exceeds_paid": "退款金额超过剩余可退金额",
  "problem.payment_refunded_by_order": "该支付属于订单，请对整笔订单退款",
  "problem.topup_intent_not_found": "在线充值记录不存在",
  "problem.topup_intent_closed": "该在线充值已处理，未重复入账",
  "problem.topup_already_credited": "该充值已入账",
  "problem.webhook_signature_invalid": "支付通知验签失败",
  "problem.exchange_too_small": "兑换的积分过少，不足最小金额单位",
  "problem.house_currency_not_purchasable": "商户自有币种不能在线购买，只能线下入账",
  "problem.currency_not_supported_by_provider": "支付渠道不支持余额的币种",
  "problem.too_many_open_lots": "会员未用完的充值批次过多，请先消费或提现部分余额",

  // Vouchers and partners
  "problem.purpose_not_allowed": "用途不符：经销商的模板仅限“客户折扣”，分销商的模板仅限“产品试用”",
  "problem.not_a_reseller": "此处只能选择经销商（模板也可属于分销商）",
  "problem.not_a_distributor": "该经销商没有上级分销商",
  "problem.not_a_customer": "该账户不是客户",
  "problem.invalid_scope": "适用商品范围不正确，请检查商品编码",
  "problem.voucher_not_usable": "该券不能用于此订单",
  "problem.voucher_balance_insufficient": "券余额不足",
  "problem.redemption_reused": "该券已用此单号核销过不同金额",
  "problem.return_exceeds_redemption": "退回金额超过该笔核销的剩余金额",
  "problem.bill_id_reused": "该账单号已提交过不同内容",
  "problem.refund_id_reused": "该退款单号已提交过不同内容",
  "problem.refund_exceeds_bill": "退款金额超过账单剩余可退金额",
  "problem.voucher_template_not_found": "券模板不存在",
  "problem.voucher_quota_not_found": "代金券额度不存在",
  "problem.voucher_bill_not_found": "核销单不存在",
  "problem.customer_not_found": "客户不存在",
  "problem.voucher_redemption_not_found": "核销记录不存在",

  // Benefits and campaigns
  "problem.benefit_not_found": "权益不存在",
  "problem.benefit_scoped_actor": "仅总部员工可修改权益及权益活动",
  "problem.too_many_active_benefits": "启用中的权益数量已达上限，请先停用一个",
  "problem.benefit_icon_not_found": "权益图标不存在",
  "problem.invalid_icon": "未找到该图标，请先上传",
  "problem.campaign_not_found": "活动不存在",
  "problem.campaign_kind_mismatch": "活动类型与权益类型不匹配",
  "problem.campaign_not_member_exclusive": "该活动不是会员专享活动，请先在活动中开启“会员专享权益”",
  "problem.campaign_in_use": "仍有启用中的权益关联此活动，请先停用这些权益或改为关联其他活动",
  "problem.card_extension_permanent_plan":
    "会员卡延期仅适用于相对有效期的会员卡，请缩小适用人群，排除永久有效的会员卡方案",

  // Merchant deposits
  "problem.not_a_merchant": "只有商家可以开通预存款账户",
  "problem.merchant_not_found": "商家不存在",
  "problem.deposit_account_exists": "该商家已有预存款账户",
  "problem.deposit_account_not_found": "该商家没有预存款账户",
  "problem.bank_binding_required": "请先绑定已生效的银行账户",
  "problem.bank_binding_name_taken": "该公司名称已被其他商家绑定，如属于您，请联系平台",
  "problem.warnings_not_configured": "请先设置余额预警再使用账户",
  "problem.account_not_active": "预存款账户尚未激活，请设置预警并完成首次充值",
  "problem.account_abnormal": "预存款账户状态异常，请联系平台",
  "problem.account_in_arrears": "预存款账户欠费，请先充值",
  "problem.topup_below_minimum": "充值金额低于最低充值金额",
  "problem.topup_not_open": "该充值申请已不在待到账状态",
  "problem.topup_not_found": "充值记录不存在",
  "problem.bank_record_not_found": "银行流水不存在",
  "problem.bank_record_not_unmatched": "该银行流水已匹配或已处理",
  "problem.bank_record_mismatch": "银行流水的金额或币种与申请不一致",
  "problem.invalid_campaign_period": "活动结束时间须晚于开始时间",
  "problem.order_id_reused": "该订单成本已按其他内容记录",
  "problem.order_cost_not_found": "该订单没有冻结的成本",
  "problem.order_not_frozen": "该订单成本已不在冻结状态",
  "problem.order_not_settled": "仅已结算的成本可退款",
  "problem.exceeds_frozen": "金额超过该订单可释放的冻结成本",
  "problem.exceeds_settled": "金额超过该订单可退款的已结算成本",
  "problem.insufficient_available": "可提现金额不足",
  "problem.withdrawal_not_found": "提现记录不存在",
  "problem.withdrawal_state": "该提现当前状态下不能执行此操作",
  "problem.manual_item_not_found": "人工处理项不存在",
  "problem.profile_incomplete": "请先完善开票资料",
  "problem.profile_state": "开票资料当前状态下不能执行此操作",
  "problem.profile_not_verified": "开票资料须先通过资质审核",
  "problem.invoice_not_found": "开票申请不存在",
  "problem.invoice_state": "该开票申请当前状态下不能执行此操作",
  "problem.no_invoice_candidates": "当前筛选条件下暂无可开票的流水",
  "problem.invoice_below_minimum": "轧差金额未达到开票最低金额",
  "problem.address_not_found": "邮寄地址不存在",

  // Top-up plans and smart top-ups
  "problem.topup_plan_not_found": "充值方案不存在",
  "problem.smart_topup_plan_not_found": "智能充值方案不存在",
  "problem.recharge_code_not_found": "充值码不存在或已停用",
  "problem.recharge_code_mismatch": "该充值码适用于其他方案、渠道或门店",
  "problem.plan_status_transition": "方案当前状态下不能执行此操作（启用中的方案须先停用再归档）",
  "problem.plan_archived": "已归档的方案不能修改",
  "problem.plan_not_active": "该方案未启用",
  "problem.plan_not_available_now": "该方案当前不可用",
  "problem.plan_out_of_stock": "该方案库存已用完",
  "problem.purchase_limit_reached": "该会员已达到此方案的购买次数上限",
  "problem.first_topup_only": "该方案仅限首次充值的会员",
  "problem.topup_payment_closed": "该充值已处理",
  "problem.topup_payment_not_settled": "该退款对应的支付尚未确认",
  "problem.no_smart_offer": "此订单没有可用的智能充值方案",
  "problem.tier_not_offered": "该充值档位不可用（或金额已变化），请重新获取充值方案",

  // Checkout and cashier
  "problem.quote_changed": "订单金额已变化，请重新计算并确认新金额",
  "problem.client_order_id_reused": "该订单号已用于其他订单",
  "problem.order_not_found": "订单不存在",
  "problem.order_already_refunded": "该订单已退款",
  "problem.order_not_paid": "该订单未支付（正在等待在线支付或已取消）",
  "problem.gift_card_not_usable": "该礼品卡不能支付此订单",
  "problem.settlement_unavailable": "结账服务暂不可用，请稍后重试",
  "problem.settlement_failed": "订单结算失败",
  "problem.cashier_order_not_found": "收银台订单不存在",
  "problem.cashier_order_exists": "该商户订单号已有收银台订单",
  "problem.cashier_order_not_open": "该收银台订单已支付或已关闭",
  "problem.cashier_order_expired": "该收银台订单已过期",
  "problem.cashier_payment_not_found": "收银台支付记录不存在",

  // Gift cards
  "problem.gift_card_plan_not_found": "礼品卡方案不存在",
  "problem.gift_card_not_found": "礼品卡不存在，请检查卡号（及密码）",
  "problem.gift_card_activity_not_found": "礼品卡交易记录不存在",
  "problem.invalid_denominations": "面额设置不正确：每个面额须为正数且不重复，折扣须小于面额",
  "problem.invalid_custom_amount": "自定义金额设置不正确：最低金额须不小于 1 且不大于最高金额",
  "problem.plan_has_no_amount": "方案须至少设置一个面额或自定义金额",
  "problem.invalid_gift_card_validity": "礼品卡有效期设置不正确，请按下列字段修改",
  "problem.invalid_card_design": "卡面设计设置不正确",
  "problem.gift_card_plan_inactive": "该方案未在售：请先启用（或方案已过结束日期）",
  "problem.gift_card_channel_not_allowed": "该方案不在此渠道销售",
  "problem.gift_card_amount_not_allowed": "该方案或此卡不支持此金额",
  "problem.buyer_info_required": "该方案需要填写购买人信息，或在门店按卡号售卡",
  "problem.buyer_info_not_collected": "该方案不收集此项购买人信息",
  "problem.gift_card_payment_not_allowed": "该方案不支持此支付方式",
  "problem.gift_card_already_sold": "此卡已售出",
  "problem.gift_card_plan_mismatch": "此卡属于其他方案",
  "problem.gift_card_not_active": "此卡当前不是“正常”状态",
  "problem.gift_card_expired": "此卡已过期",
  "problem.gift_card_store_not_allowed": "此卡不能在该门店使用",
  "problem.gift_card_recharge_not_allowed": "此卡所属方案不支持门店充值",
  "problem.gift_card_refund_exceeds_redemption": "退款金额超过该笔核销的剩余金额",
  "problem.redemption_refunded_by_order": "该笔核销用于结账订单，请对整笔订单退款",
  "problem.gift_card_reference_reused": "该单号已按其他金额处理过",
  "problem.gift_card_not_a_redemption": "只能对核销记录退款",
  "problem.gift_card_lookup_limited": "查询失败次数过多，请稍后再试",
  "problem.invalid_card_number": "卡号无效（校验位错误）",
  "problem.gift_card_payment_not_found": "未找到该支付对应的礼品卡订单",
  "problem.gift_card_payment_closed": "该支付已处理，未做任何更改",
  "problem.gift_card_amount_mismatch": "支付金额或币种与订单不一致",
  "problem.gift_card_currency_mismatch": "礼品卡币种不一致",
  "problem.gift_card_plan_changed": "下单期间方案已变更，请重新购买",
  "problem.gift_card_already_claimed": "此卡已被领取",
};
