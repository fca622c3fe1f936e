package billing

// Invoice assembly: what goes on an invoice when it is made.

// SnapshotCustomer copies onto an invoice the customer fields it shows.
func SnapshotCustomer(inv *Invoice, cu *Customer) { // transitional: unexported in d7
	inv.CustomerEmail, inv.CustomerName, inv.CustomerPhone = cu.Email, cu.Name, cu.Phone
	inv.CustomerAddress, inv.CustomerShipping, inv.CustomerTaxExempt = cu.Address, cu.Shipping, cu.TaxExempt
}
