package connector

import (
	"context"
	"slices"

	connectorv2 "github.com/batonkit/batonkit/pb/c1/connector/v2"
)

// capabilities derives what the connector can do from the interfaces its
// syncers and itself implement, so metadata can never claim a capability
// the code lacks (or hide one it has).
func (s *Server) capabilities(ctx context.Context) *connectorv2.ConnectorCapabilities {
	caps := &connectorv2.ConnectorCapabilities{}
	all := map[connectorv2.Capability]bool{}
	var details connectorv2.CredentialDetails
	for _, id := range s.order {
		rs := s.syncers[id]
		rtc := &connectorv2.ResourceTypeCapability{ResourceType: s.types[id]}
		add := func(c connectorv2.Capability) {
			rtc.Capabilities = append(rtc.Capabilities, c)
			all[c] = true
		}
		add(connectorv2.Capability_CAPABILITY_SYNC)
		if slices.Contains(s.types[id].GetTraits(), connectorv2.ResourceType_TRAIT_SECRET) {
			add(connectorv2.Capability_CAPABILITY_SYNC_SECRETS)
		}
		if _, ok := rs.(ResourceGetter); ok {
			add(connectorv2.Capability_CAPABILITY_TARGETED_SYNC)
		}
		if _, ok := rs.(Provisioner); ok {
			add(connectorv2.Capability_CAPABILITY_PROVISION)
		}
		if ac, ok := rs.(AccountCreator); ok {
			add(connectorv2.Capability_CAPABILITY_ACCOUNT_PROVISIONING)
			if details.CapabilityAccountProvisioning == nil {
				details.CapabilityAccountProvisioning = ac.AccountCreationOptions(ctx)
			}
		}
		if cr, ok := rs.(CredentialRotator); ok {
			add(connectorv2.Capability_CAPABILITY_CREDENTIAL_ROTATION)
			if details.CapabilityCredentialRotation == nil {
				details.CapabilityCredentialRotation = cr.RotationOptions(ctx)
			}
		}
		if _, ok := rs.(ResourceCreator); ok {
			add(connectorv2.Capability_CAPABILITY_RESOURCE_CREATE)
		}
		if _, ok := rs.(ResourceDeleter); ok {
			add(connectorv2.Capability_CAPABILITY_RESOURCE_DELETE)
		}
		caps.ResourceTypeCapabilities = append(caps.ResourceTypeCapabilities, rtc)
	}
	if _, ok := s.c.(TicketManager); ok {
		all[connectorv2.Capability_CAPABILITY_TICKETING] = true
	}
	if _, ok := s.c.(EventFeedProvider); ok {
		all[connectorv2.Capability_CAPABILITY_EVENT_FEED_V2] = true
	}
	if _, ok := s.c.(ActionManager); ok {
		all[connectorv2.Capability_CAPABILITY_ACTIONS] = true
	}
	for c := range all {
		caps.ConnectorCapabilities = append(caps.ConnectorCapabilities, c)
	}
	slices.Sort(caps.ConnectorCapabilities)
	if details.CapabilityAccountProvisioning != nil || details.CapabilityCredentialRotation != nil {
		caps.CredentialDetails = &details
	}
	return caps
}
