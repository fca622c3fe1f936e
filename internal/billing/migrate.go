package billing

import "github.com/stripe-emulator/stripe-emulator/internal/apierr"

// Migrating a subscription's billing mode (POST
// /v1/subscriptions/{subscription}/migrate, 2025-06-30.basil): from classic
// to flexible only ("You can't migrate a subscription from flexible billing
// mode to classic billing mode"). From then on the subscription bills by
// flexible's rules; what classic billed before stays as it was.

// MigrateRequest is POST /v1/subscriptions/{subscription}/migrate.
type MigrateRequest struct {
	Subscription string      // the path's
	Mode         ModeRequest // billing_mode: its type is required, and flexible
}

// Migrate moves a live classic subscription to flexible billing mode, at the
// customer's now (billing_mode[updated_at]). It returns the subscription as
// stored.
func Migrate(u *Unit, in MigrateRequest) (*Subscription, error) {
	cur, err := GetSubscription(u.tx, in.Subscription, "id")
	if err != nil {
		return nil, err
	}
	mode, err := in.Mode.resolve()
	if err != nil {
		return nil, err
	}
	if mode != ModeFlexible {
		return nil, apierr.Invalid("billing_mode[type]", "A subscription can only be migrated to flexible billing mode.")
	}
	if !cur.Live() {
		return nil, apierr.InvalidRequest("", "", "A canceled subscription can no longer be migrated (%s is %s).", cur.ID, cur.Status)
	}
	if cur.Mode() == ModeFlexible {
		return nil, apierr.InvalidRequest("", "billing_mode[type]", "The subscription %s already uses flexible billing mode, which is final: you can't migrate a subscription from flexible billing mode to classic billing mode.", cur.ID)
	}
	sub := cur.Clone()
	sub.setMode(ModeFlexible, true, u.CustomerNow(cur.Customer))
	return sub, u.tx.Put(TableSubscriptions, sub)
}
