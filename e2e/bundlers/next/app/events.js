'use client';
// The client component: subscribes once mounted, with the endpoint from `?endpoint=`.
import { useEffect, useState } from 'react';
import { Client, Realtime, Channel } from 'appwrite-realtime-wasm';

export default function Events() {
  const [state, setState] = useState({ name: 'loading', text: 'loading' });
  const [events, setEvents] = useState([]);

  useEffect(() => {
    const endpoint = new URLSearchParams(location.search).get('endpoint');
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    let subscription;
    let unmounted = false;
    realtime.subscribe(Channel.database('main').collection('posts').document(), (event) => {
      setEvents((list) => [{ id: event.payload.$id, text: `${event.events[0]}: ${event.payload.title}` }, ...list]);
    }).then((opened) => {
      subscription = opened;
      if (unmounted) opened.close();
      else setState({ name: 'subscribed', text: 'subscribed' });
    }, (error) => setState({ name: 'error', text: `error: ${error.message}` }));
    return () => {
      unmounted = true;
      subscription?.close();
    };
  }, []);

  return (
    <>
      <p id="status" data-state={state.name}>{state.text}</p>
      <ul id="events">
        {events.map((event) => <li key={event.id} data-document-id={event.id}>{event.text}</li>)}
      </ul>
    </>
  );
}
