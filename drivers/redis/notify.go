package redis

import (
	"context"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosk/gosk/driver"
)

// notifier shares one pub/sub connection among all of a driver's
// subscriptions: the first Subscribe opens it with one goroutine that
// reads it and wakes the subscriptions of each message's channel; each
// channel is subscribed while it has a subscription, and the connection
// is closed when the last subscription ends (or the driver closes).
type notifier struct {
	mu sync.Mutex
	ps *goredis.PubSub // nil while there is no subscription
	// chans holds the subscriptions of each subscribed channel.
	chans map[string]*channelSubs
	// pending counts, per channel, the SUBSCRIBEs sent on ps that the
	// server has not yet confirmed.
	pending map[string]int
}

// channelSubs are the subscriptions of one channel.
type channelSubs struct {
	subs map[*subscription]struct{}
	// confirmed is closed once the server has confirmed the channel's
	// latest SUBSCRIBE.
	confirmed chan struct{}
}

// subscription is one Subscribe's state.
type subscription struct {
	channel string
	wake    chan struct{}
	done    chan struct{} // closed when it ends
}

// Subscribe listens on the queue's pub/sub channel, which the scripts
// publish to when a task becomes available at once (created or released
// with no delay, or retried). It returns once the server has confirmed the
// subscription, so a task created after Subscribe returns always wakes it.
// All of a driver's subscriptions share one connection and one goroutine,
// opened by the first and closed when the last ends; a subscription ends
// when Stop is called, ctx is done or the driver is closed.
func (d *Driver) Subscribe(ctx context.Context, queue string) (*driver.Subscription, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	if err := driver.ValidateQueueName(queue); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		// Said as it is, not as the dial that the context cut short
		// ("dial tcp ...: operation was canceled").
		return nil, err
	}
	s := &subscription{channel: d.keys.channel(queue), wake: make(chan struct{}, 1), done: make(chan struct{})}
	confirmed, err := d.addSub(ctx, s)
	if err != nil {
		return nil, err
	}
	select {
	case <-confirmed:
	case <-ctx.Done():
		d.endSub(context.WithoutCancel(ctx), s)
		return nil, ctx.Err()
	case <-d.closing:
		return nil, driver.ErrClosed
	}
	stopCtx := context.AfterFunc(ctx, func() { d.endSub(context.WithoutCancel(ctx), s) })
	return &driver.Subscription{
		Wake: s.wake,
		Stop: func() {
			stopCtx()
			d.endSub(context.WithoutCancel(ctx), s)
		},
		Done: s.done,
	}, nil
}

// addSub registers s, opening the connection or subscribing its channel
// if needed, and returns what is closed once the server has confirmed the
// channel's subscription.
func (d *Driver) addSub(ctx context.Context, s *subscription) (<-chan struct{}, error) {
	n := &d.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	// Under the lock that Close takes, so Close ends this subscription or
	// this call sees the driver closed.
	if d.closed.Load() {
		return nil, driver.ErrClosed
	}
	if c := n.chans[s.channel]; c != nil {
		c.subs[s] = struct{}{}
		return c.confirmed, nil
	}
	fresh := n.ps == nil
	if fresh {
		n.ps = d.client.Subscribe(ctx)
		n.chans = make(map[string]*channelSubs)
		n.pending = make(map[string]int)
	}
	if err := n.ps.Subscribe(ctx, s.channel); err != nil {
		if fresh {
			_ = n.ps.Close()
			n.ps = nil
		}
		return nil, translate(err)
	}
	if fresh {
		d.subs.Add(1)
		go d.readSubs(n.ps)
	}
	c := &channelSubs{subs: map[*subscription]struct{}{s: {}}, confirmed: make(chan struct{})}
	n.chans[s.channel] = c
	n.pending[s.channel]++
	return c.confirmed, nil
}

// endSub ends s, if it has not ended: it unsubscribes its channel if s was
// the channel's last subscription, and closes the connection if it was the
// driver's last. ctx carries the UNSUBSCRIBE, which goes out even once
// the subscription's own context has ended.
func (d *Driver) endSub(ctx context.Context, s *subscription) {
	n := &d.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.chans[s.channel]
	if c == nil {
		return
	}
	if _, ok := c.subs[s]; !ok {
		return
	}
	delete(c.subs, s)
	close(s.done)
	if len(c.subs) > 0 {
		return
	}
	delete(n.chans, s.channel)
	if len(n.chans) == 0 {
		_ = n.ps.Close()
		n.ps = nil
		return
	}
	// A failed UNSUBSCRIBE leaves the channel subscribed: its messages
	// then find no subscription, and a later Subscribe of it waits for
	// the confirmation of a SUBSCRIBE of its own.
	_ = n.ps.Unsubscribe(ctx, s.channel)
}

// endAllSubs ends every subscription and closes the connection; Close
// calls it.
func (d *Driver) endAllSubs() {
	n := &d.notify
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, c := range n.chans {
		for s := range c.subs {
			close(s.done)
		}
	}
	n.chans = nil
	if n.ps != nil {
		_ = n.ps.Close()
		n.ps = nil
	}
}

// readSubs reads ps until it is closed, waking the subscriptions of each
// message's channel and noting the server's confirmations of SUBSCRIBE.
func (d *Driver) readSubs(ps *goredis.PubSub) {
	defer d.subs.Done()
	n := &d.notify
	for m := range ps.ChannelWithSubscriptions() {
		n.mu.Lock()
		if n.ps != ps { // closed since the message came
			n.mu.Unlock()
			continue
		}
		switch m := m.(type) {
		case *goredis.Message:
			if c := n.chans[m.Channel]; c != nil {
				for s := range c.subs {
					select {
					case s.wake <- struct{}{}:
					default:
					}
				}
			}
		case *goredis.Subscription:
			// Confirmations come in the order the SUBSCRIBEs went, so
			// when none is left pending the latest has been applied. A
			// reconnection's own SUBSCRIBEs find none pending.
			if m.Kind == "subscribe" && n.pending[m.Channel] > 0 {
				n.pending[m.Channel]--
				if n.pending[m.Channel] == 0 {
					delete(n.pending, m.Channel)
					if c := n.chans[m.Channel]; c != nil {
						closeOnce(c.confirmed)
					}
				}
			}
		}
		n.mu.Unlock()
	}
}

// closeOnce closes ch unless it is closed.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}
