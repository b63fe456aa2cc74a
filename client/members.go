package client

import (
	"context"
	"net/http"
	"net/url"
)

// Invite invites an email address into an organization with a role; the
// answer's Token and URL, to send to the invitee, are shown only this
// once.
func (c *Client) Invite(ctx context.Context, org string, in InvitationCreate) (*Invitation, error) {
	var out Invitation
	if _, err := c.do(ctx, http.MethodPost, orgPath(org, "/invitations"), nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Members lists an organization's members, oldest first.
func (c *Client) Members(ctx context.Context, org string) ([]Member, error) {
	var out MemberList
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/members"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Members, nil
}

// SetRole gives a member another role.
func (c *Client) SetRole(ctx context.Context, org, userID, role string) (*Member, error) {
	var out Member
	if _, err := c.do(ctx, http.MethodPatch, orgPath(org, "/members/", url.PathEscape(userID)), nil, MemberUpdate{Role: role}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveMember takes a member out of an organization.
func (c *Client) RemoveMember(ctx context.Context, org, userID string) error {
	_, err := c.do(ctx, http.MethodDelete, orgPath(org, "/members/", url.PathEscape(userID)), nil, nil, nil)
	return err
}

// CreateRole makes a custom role of an organization.
func (c *Client) CreateRole(ctx context.Context, org string, r RoleCreate) (*Role, error) {
	var out Role
	if _, err := c.do(ctx, http.MethodPost, orgPath(org, "/roles"), nil, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Roles lists the built-in roles and an organization's own.
func (c *Client) Roles(ctx context.Context, org string) ([]Role, error) {
	var out RoleList
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/roles"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Roles, nil
}

// CreateViewerToken mints a viewer token; the answer's Token and URL are
// shown only this once.
func (c *Client) CreateViewerToken(ctx context.Context, org string, v ViewerTokenCreate) (*ViewerToken, error) {
	var out ViewerToken
	if _, err := c.do(ctx, http.MethodPost, orgPath(org, "/viewer-tokens"), nil, v, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeViewerToken revokes a viewer token.
func (c *Client) RevokeViewerToken(ctx context.Context, org, id string) (*ViewerToken, error) {
	var out ViewerToken
	if _, err := c.do(ctx, http.MethodDelete, orgPath(org, "/viewer-tokens/", url.PathEscape(id)), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AcceptInvitation accepts the invitation of token: for a new account,
// in sets its name and password; for an existing one, in.Password must
// be the account's.
func (c *Client) AcceptInvitation(ctx context.Context, token string, in InvitationAccept) (*InvitationAccepted, error) {
	var out InvitationAccepted
	if _, err := c.do(ctx, http.MethodPost, "/v1/invitations/"+url.PathEscape(token)+"/accept", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
