package remote

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// endpoint is what the target and the jump host have in common; the SDK's
// ProxyConnection is exactly this, Connection adds `proxy`.
type endpoint struct {
	Host               string   `pulumi:"host"`
	Port               *float64 `pulumi:"port,optional"`
	User               *string  `pulumi:"user,optional"`
	Password           *string  `pulumi:"password,optional"           provider:"secret"`
	PrivateKey         *string  `pulumi:"privateKey,optional"         provider:"secret"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	HostKey            *string  `pulumi:"hostKey,optional"`
	DialErrorLimit     *int     `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *int     `pulumi:"perDialTimeout,optional"`
}

type Connection struct {
	endpoint
	Proxy *ProxyConnection `pulumi:"proxy,optional"`
}

type ProxyConnection struct {
	endpoint
}

func (c *Connection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint.")
	a.Describe(&c.Proxy, "The connection settings for the bastion/proxy host.")
	c.endpoint.annotate(a)
}

func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint via a bastion host.")
	c.endpoint.annotate(a)
}

const (
	defaultPort           = 22
	defaultUser           = "root"
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15
	// How often a refused connection is retried within one dial: a booting VM refuses
	// until sshd is up, and we want to notice within a second when it is.
	pollInterval = time.Second
)

func (e *endpoint) annotate(a infer.Annotator) {
	a.Describe(&e.Host, "The address of the resource to connect to.")
	a.Describe(&e.Port, "The port to connect to. Defaults to 22.")
	a.SetDefault(&e.Port, defaultPort)
	a.Describe(&e.User, "The user that we should use for the connection.")
	a.SetDefault(&e.User, defaultUser)
	a.Describe(&e.Password, "The password we should use for the connection.")
	a.Describe(&e.PrivateKey, "The contents of an SSH key to use for the connection. "+
		"This takes preference over the password if provided.")
	a.Describe(&e.PrivateKeyPassword, "The password to use in case the private key is encrypted.")
	a.Describe(&e.AgentSocketPath, "SSH Agent socket path. Default to environment variable SSH_AUTH_SOCK if present.")
	a.Describe(&e.HostKey, "The expected host key to verify the server's identity. "+
		"If not provided, the host key will be ignored.")
	a.Describe(&e.DialErrorLimit, "Max allowed errors on trying to dial the remote host. "+
		"-1 set count to unlimited. Default value is 10.")
	a.SetDefault(&e.DialErrorLimit, defaultDialErrorLimit)
	a.Describe(&e.PerDialTimeout, "Max number of seconds for each dial attempt. "+
		"0 implies no maximum. Default value is 15 seconds.")
	a.SetDefault(&e.PerDialTimeout, defaultPerDialTimeout)
}

func (e *endpoint) address() string {
	port := defaultPort
	if e.Port != nil {
		port = int(*e.Port)
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(port))
}

func (e *endpoint) errorLimit() int {
	if e.DialErrorLimit == nil {
		return defaultDialErrorLimit
	}
	return *e.DialErrorLimit
}

func (e *endpoint) perDial() time.Duration {
	if e.PerDialTimeout == nil {
		return defaultPerDialTimeout * time.Second
	}
	return time.Duration(*e.PerDialTimeout) * time.Second
}

// HostKeyMismatchError names both keys. As upstream, it counts as a failed dial and is
// retried up to dialErrorLimit (a machine may show another key while it boots).
type HostKeyMismatchError struct {
	Address   string
	Want, Got ssh.PublicKey
}

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key mismatch for %s: expected %s %s (connection.hostKey), but the server presented %s %s",
		e.Address, e.Want.Type(), ssh.FingerprintSHA256(e.Want), e.Got.Type(), ssh.FingerprintSHA256(e.Got))
}

// hostKeyCheck pins the key given as an authorized_keys line. Without a pin any key is
// accepted, as upstream does.
func hostKeyCheck(pin *string) (ssh.HostKeyCallback, []string, error) {
	if pin == nil {
		return ssh.InsecureIgnoreHostKey(), nil, nil //nolint:gosec // upstream semantics: no pin, no check
	}
	want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*pin))
	if err != nil {
		return nil, nil, fmt.Errorf("connection.hostKey is not an authorized_keys line like \"ssh-ed25519 AAAA...\": %w", err)
	}
	check := func(address string, _ net.Addr, got ssh.PublicKey) error {
		if bytes.Equal(got.Marshal(), want.Marshal()) {
			return nil
		}
		return &HostKeyMismatchError{Address: address, Want: want, Got: got}
	}
	// Ask for the pinned key's algorithm, or a server with several host keys may show
	// another one and fail the check for no reason. An RSA key is signed with SHA-2.
	algorithms := []string{want.Type()}
	if want.Type() == ssh.KeyAlgoRSA {
		algorithms = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return check, algorithms, nil
}

// clientConfig returns the config and a cleanup for the agent connection it may hold.
func (e *endpoint) clientConfig() (*ssh.ClientConfig, func(), error) {
	check, algorithms, err := hostKeyCheck(e.HostKey)
	if err != nil {
		return nil, nil, err
	}
	user := defaultUser
	if e.User != nil {
		user = *e.User
	}
	config := &ssh.ClientConfig{User: user, HostKeyCallback: check, HostKeyAlgorithms: algorithms}
	cleanup := func() {}

	if e.PrivateKey != nil {
		var signer ssh.Signer
		if e.PrivateKeyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*e.PrivateKey), []byte(*e.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*e.PrivateKey))
		}
		if err != nil {
			// Never wrap the key itself into the message.
			return nil, nil, fmt.Errorf("connection.privateKey: %w", err)
		}
		config.Auth = append(config.Auth, ssh.PublicKeys(signer))
	}
	if e.Password != nil {
		password := *e.Password
		config.Auth = append(config.Auth, ssh.Password(password),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = password
				}
				return answers, nil
			}))
	}
	// An explicit agent socket must work; the ambient SSH_AUTH_SOCK is only a bonus.
	socket, explicit := "", e.AgentSocketPath != nil
	if explicit {
		socket = *e.AgentSocketPath
	} else {
		socket = os.Getenv("SSH_AUTH_SOCK")
	}
	if socket != "" {
		conn, err := net.Dial("unix", socket)
		switch {
		case err == nil:
			config.Auth = append(config.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
			cleanup = func() { conn.Close() }
		case explicit:
			return nil, nil, fmt.Errorf("connection.agentSocketPath: %w", err)
		}
	}
	return config, cleanup, nil
}

type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Dial connects to the target, through the jump host when there is one. Closing the
// returned client also closes the jump host's.
func (c *Connection) Dial(ctx context.Context, status func(string)) (*ssh.Client, error) {
	var dialer net.Dialer
	dial := dialFunc(dialer.DialContext)
	var jump *ssh.Client
	if c.Proxy != nil {
		var err error
		if jump, err = c.Proxy.dial(ctx, "proxy", dial, status); err != nil {
			return nil, err
		}
		dial = jump.DialContext
	}
	client, err := c.dial(ctx, "", dial, status)
	if jump != nil {
		if err != nil {
			jump.Close()
		} else {
			go func() { _ = client.Wait(); jump.Close() }()
		}
	}
	return client, err
}

// dial makes up to dialErrorLimit+1 attempts (-1: unlimited), as upstream counts them.
// One attempt polls the TCP connect for up to perDialTimeout, then shakes hands within
// what is left of it, so the default gives a booting machine 11 × 15 s to come up.
func (e *endpoint) dial(ctx context.Context, role string, dial dialFunc, status func(string)) (*ssh.Client, error) {
	config, cleanup, err := e.clientConfig()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	address, limit, per := e.address(), e.errorLimit(), e.perDial()
	what := "dial " + address
	if role != "" {
		what = role + " " + what
	}
	for failures := 1; ; failures++ {
		client, err := attempt(ctx, dial, address, config, per)
		if err == nil {
			return client, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if limit >= 0 && failures > limit {
			return nil, fmt.Errorf("%s: giving up after %d failed attempts: %w", what, failures, err)
		}
		limitText := "unlimited"
		if limit >= 0 {
			limitText = strconv.Itoa(limit)
		}
		status(fmt.Sprintf("%s failed (%d/%s): %v; retrying", what, failures, limitText, err))
		if err := sleep(ctx, pollInterval); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
}

func attempt(ctx context.Context, dial dialFunc, address string, config *ssh.ClientConfig, per time.Duration) (*ssh.Client, error) {
	if per > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, per)
		defer cancel()
	}
	var conn net.Conn
	for {
		var err error
		if conn, err = dial(ctx, "tcp", address); err == nil {
			break
		}
		deadline, ok := ctx.Deadline()
		if !ok || time.Until(deadline) < pollInterval {
			return nil, err
		}
		if sleep(ctx, pollInterval) != nil {
			return nil, err
		}
	}
	// Deadlines do not work on a tunnelled connection, so a stuck handshake is cut by
	// closing the connection when the attempt's time is up.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, address, config)
	if !stop() {
		if err == nil {
			c.Close()
		}
		return nil, fmt.Errorf("ssh handshake: %w", context.Cause(ctx))
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return ssh.NewClient(c, chans, reqs), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
