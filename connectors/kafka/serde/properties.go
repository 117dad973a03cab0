package serde

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/connectors/kafka/internal/tlsconf"
	"github.com/sluicehq/sluice/connectors/kafka/registry"
)

// SerdeProperties is Kestra's `serdeProperties`: Confluent serializer
// settings, parsed.
type SerdeProperties struct {
	Client        *registry.Client
	AutoRegister  bool
	UseLatest     bool
	KeyStrategy   registry.Strategy
	ValueStrategy registry.Strategy
	// Secrets are values that must be masked (passwords, tokens).
	Secrets []string
	// Unknown are keys sluice does not use; the task logs a warning.
	Unknown []string
}

// For returns the registry settings of the key or value serializer.
func (p *SerdeProperties) For(isKey bool) RegistryConfig {
	s := p.ValueStrategy
	if isKey {
		s = p.KeyStrategy
	}
	return RegistryConfig{Client: p.Client, Strategy: s, AutoRegister: p.AutoRegister, UseLatest: p.UseLatest}
}

var knownSerde = map[string]bool{
	"schema.registry.url": true, "basic.auth.credentials.source": true, "basic.auth.user.info": true,
	"schema.registry.basic.auth.user.info": true, "bearer.auth.credentials.source": true, "bearer.auth.token": true,
	"auto.register.schemas": true, "use.latest.version": true, "key.subject.name.strategy": true,
	"value.subject.name.strategy": true, "schema.registry.request.timeout.ms": true,
	// Accepted because sluice always behaves as they ask.
	"avro.use.logical.type.converters": true, "specific.avro.reader": true,
}

func init() {
	for _, k := range tlsconf.Keys {
		knownSerde["schema.registry."+k] = true
	}
}

// ParseSerdeProperties reads serdeProperties.
func ParseSerdeProperties(props map[string]string) (*SerdeProperties, error) {
	p := &SerdeProperties{AutoRegister: true}
	boolProp := func(k string, def bool) (bool, error) {
		v, ok := props[k]
		if !ok || strings.TrimSpace(v) == "" {
			return def, nil
		}
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return false, fmt.Errorf("serdeProperties %s: %q is not true or false", k, v)
		}
		return b, nil
	}
	var err error
	if p.AutoRegister, err = boolProp("auto.register.schemas", true); err != nil {
		return nil, err
	}
	if p.UseLatest, err = boolProp("use.latest.version", false); err != nil {
		return nil, err
	}
	if p.KeyStrategy, err = registry.ParseStrategy(props["key.subject.name.strategy"]); err != nil {
		return nil, fmt.Errorf("serdeProperties key.subject.name.strategy: %w", err)
	}
	if p.ValueStrategy, err = registry.ParseStrategy(props["value.subject.name.strategy"]); err != nil {
		return nil, fmt.Errorf("serdeProperties value.subject.name.strategy: %w", err)
	}
	for k := range props {
		if !knownSerde[k] {
			p.Unknown = append(p.Unknown, k)
		}
	}
	sort.Strings(p.Unknown)

	raw := strings.TrimSpace(props["schema.registry.url"])
	if raw == "" {
		return p, nil
	}
	cfg := registry.Config{}
	for _, u := range strings.Split(raw, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("serdeProperties schema.registry.url: %w", err)
		}
		if pu.User != nil {
			// Credentials in the URL (basic.auth.credentials.source=URL).
			cfg.Username = pu.User.Username()
			cfg.Password, _ = pu.User.Password()
			p.Secrets = append(p.Secrets, cfg.Password)
			pu.User = nil
		}
		cfg.URLs = append(cfg.URLs, pu.String())
	}
	info := props["basic.auth.user.info"]
	if info == "" {
		info = props["schema.registry.basic.auth.user.info"]
	}
	switch src := strings.ToUpper(strings.TrimSpace(props["basic.auth.credentials.source"])); src {
	case "", "USER_INFO":
		if info != "" {
			user, pass, ok := strings.Cut(info, ":")
			if !ok {
				return nil, fmt.Errorf("serdeProperties basic.auth.user.info: want user:password")
			}
			cfg.Username, cfg.Password = user, pass
			p.Secrets = append(p.Secrets, pass, info)
		}
	case "URL":
	default:
		return nil, fmt.Errorf("serdeProperties basic.auth.credentials.source: %q is not supported (USER_INFO or URL)", src)
	}
	if tok := strings.TrimSpace(props["bearer.auth.token"]); tok != "" {
		cfg.BearerToken = tok
		p.Secrets = append(p.Secrets, tok)
	}
	if ms := strings.TrimSpace(props["schema.registry.request.timeout.ms"]); ms != "" {
		n, err := strconv.Atoi(ms)
		if err != nil {
			return nil, fmt.Errorf("serdeProperties schema.registry.request.timeout.ms: %q is not a number", ms)
		}
		cfg.Timeout = msDuration(n)
	}
	for _, k := range []string{"ssl.truststore.password", "ssl.keystore.password", "ssl.key.password", "ssl.keystore.key"} {
		if v := props["schema.registry."+k]; v != "" {
			p.Secrets = append(p.Secrets, v)
		}
	}
	if tlsconf.Uses(props, "schema.registry.") {
		if cfg.TLS, err = tlsconf.Build(props, "schema.registry."); err != nil {
			return nil, fmt.Errorf("serdeProperties: %w", err)
		}
	}
	if p.Client, err = registry.New(cfg); err != nil {
		return nil, err
	}
	return p, nil
}
