package apiversion

// The endpoints units name, "METHOD /path" with the catalogue's path
// parameter names (as the server's routes have them).
const (
	rCustomerCreate    = "POST /v1/customers"
	rCustomerUpdate    = "POST /v1/customers/{customer}"
	rProductCreate     = "POST /v1/products"
	rProductUpdate     = "POST /v1/products/{id}"
	rPriceCreate       = "POST /v1/prices"
	rMeterCreate       = "POST /v1/billing/meters"
	rAlertCreate       = "POST /v1/billing/alerts"
	rSubCreate         = "POST /v1/subscriptions"
	rSubUpdate         = "POST /v1/subscriptions/{subscription_exposed_id}"
	rSubList           = "GET /v1/subscriptions"
	rSubCancel         = "DELETE /v1/subscriptions/{subscription_exposed_id}"
	rSubResume         = "POST /v1/subscriptions/{subscription}/resume"
	rSubMigrate        = "POST /v1/subscriptions/{subscription}/migrate"
	rSubPause          = "POST /v1/subscriptions/{subscription}/pause"
	rItemCreate        = "POST /v1/subscription_items"
	rItemUpdate        = "POST /v1/subscription_items/{item}"
	rItemDelete        = "DELETE /v1/subscription_items/{item}"
	rUsageRecords      = "POST /v1/subscription_items/{subscription_item}/usage_records"
	rUsageSummaries    = "GET /v1/subscription_items/{subscription_item}/usage_record_summaries"
	rInvoiceCreate     = "POST /v1/invoices"
	rInvoiceUpdate     = "POST /v1/invoices/{invoice}"
	rInvoiceList       = "GET /v1/invoices"
	rInvoiceLineUpdate = "POST /v1/invoices/{invoice}/lines/{line_item_id}"
	rPreview           = "POST /v1/invoices/create_preview"
	rUpcoming          = "GET /v1/invoices/upcoming"
	rUpcomingLines     = "GET /v1/invoices/upcoming/lines"
	rInvoiceItemCreate = "POST /v1/invoiceitems"
	rInvoiceItemUpdate = "POST /v1/invoiceitems/{invoiceitem}"
	rInvoiceItemList   = "GET /v1/invoiceitems"
	rTestClockCreate   = "POST /v1/test_helpers/test_clocks"
	rWebhookCreate     = "POST /v1/webhook_endpoints"
	rWebhookUpdate     = "POST /v1/webhook_endpoints/{webhook_endpoint}"
)

var (
	subWrites         = []string{rSubCreate, rSubUpdate}
	itemWrites        = []string{rItemCreate, rItemUpdate}
	invoiceItemWrites = []string{rInvoiceItemCreate, rInvoiceItemUpdate}
)
