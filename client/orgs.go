package client

import (
	"context"
	"net/http"
	"net/url"
)

// CreateOrg registers an organization (platform token only).
func (c *Client) CreateOrg(ctx context.Context, o OrgCreate) (*Org, error) {
	var out Org
	if _, err := c.do(ctx, http.MethodPost, "/v1/orgs", nil, o, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Org returns an organization.
func (c *Client) Org(ctx context.Context, org string) (*Org, error) {
	var out Org
	if _, err := c.do(ctx, http.MethodGet, orgPath(org), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateOrg changes an organization's name, plan or time zone.
func (c *Client) UpdateOrg(ctx context.Context, org string, u OrgUpdate) (*Org, error) {
	var out Org
	if _, err := c.do(ctx, http.MethodPatch, orgPath(org), nil, u, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateAPIKey mints an API key; the answer's Key is shown only this once.
func (c *Client) CreateAPIKey(ctx context.Context, org string, k APIKeyCreate) (*APIKey, error) {
	var out APIKey
	if _, err := c.do(ctx, http.MethodPost, orgPath(org, "/api-keys"), nil, k, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// APIKeys lists an organization's API keys, revoked ones included.
func (c *Client) APIKeys(ctx context.Context, org string) ([]APIKey, error) {
	var out APIKeyList
	if _, err := c.do(ctx, http.MethodGet, orgPath(org, "/api-keys"), nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Keys, nil
}

// RevokeAPIKey revokes an API key.
func (c *Client) RevokeAPIKey(ctx context.Context, org, id string) (*APIKey, error) {
	var out APIKey
	if _, err := c.do(ctx, http.MethodDelete, orgPath(org, "/api-keys/", url.PathEscape(id)), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
